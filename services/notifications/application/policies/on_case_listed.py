"""A case listed on a panel: its district and tier noted, so who may read its emails
follows it (a paused case is listed again only once consent is given again: it resumes)."""

from __future__ import annotations

from contracts.events.panel import CaseListed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.note_lead import NoteLead
from services.notifications.application.commands.place_case import PlaceCase


def on_case_listed(d: Delivery[CaseListed], work: Work[NotificationsApp]) -> None:
    e = d.message
    place = PlaceCase(
        caller=SERVICE,
        correlation_id=d.correlation_id or str(e.case_id),
        case_id=e.case_id,
        district=e.district,
        tier=e.panel,
    )
    work.app.handle(place, work)
    listed = NoteLead(
        caller=SERVICE,
        correlation_id=d.correlation_id or str(e.case_id),
        case_id=e.case_id,
        withdrawn=False,
    )
    work.app.handle(listed, work)
