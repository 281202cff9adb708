"""A case escalated to a higher tier or stepped down to a lower one: the tier noted (its
district stays), so who may read its emails follows it."""

from __future__ import annotations

from contracts.events.panel import CaseEscalated, CaseSteppedDown
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.place_case import PlaceCase


def on_case_moved(
    d: Delivery[CaseEscalated | CaseSteppedDown], work: Work[NotificationsApp]
) -> None:
    e = d.message
    place = PlaceCase(
        caller=SERVICE,
        correlation_id=d.correlation_id or str(e.case_id),
        case_id=e.case_id,
        district=None,
        tier=e.to_panel,
    )
    work.app.handle(place, work)
