"""Consent withdrawn, the case paused: its lead professional, if it has one yet, is told;
until consent is given again they no longer read the emails about the case."""

from __future__ import annotations

from contracts.events.panel import CasePaused
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.note_lead import NoteLead
from services.notifications.application.policies import ask
from services.notifications.domain.values import Recipient, Template


def on_case_paused(d: Delivery[CasePaused], work: Work[NotificationsApp]) -> None:
    e = d.message
    lead = e.lead_professional_email
    if lead:
        ask(d, work, Template.CONSENT_WITHDRAWN, Recipient(str(lead)), {})
    paused = NoteLead(
        caller=SERVICE,
        correlation_id=d.correlation_id or str(e.case_id),
        case_id=e.case_id,
        withdrawn=True,
    )
    work.app.handle(paused, work)
