"""The panel closed the case: its lead professional no longer reads the emails about it."""

from __future__ import annotations

from contracts.events.panel import CaseClosed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.note_lead import NoteLead


def on_case_closed(d: Delivery[CaseClosed], work: Work[NotificationsApp]) -> None:
    e = d.message
    closed = NoteLead(
        caller=SERVICE,
        correlation_id=d.correlation_id or str(e.case_id),
        case_id=e.case_id,
        closed=True,
    )
    work.app.handle(closed, work)
