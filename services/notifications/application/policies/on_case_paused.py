"""Consent withdrawn, the case paused: its lead professional, if it has one yet, is told."""

from __future__ import annotations

from contracts.events.panel import CasePaused
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies import ask
from services.notifications.domain.values import Recipient, Template


def on_case_paused(d: Delivery[CasePaused], work: Work[NotificationsApp]) -> None:
    lead = d.message.lead_professional_email
    if lead:
        ask(d, work, Template.CONSENT_WITHDRAWN, Recipient(str(lead)), {})
