"""What the notifications service publishes: each email's outcome (the outbox translator)."""

from __future__ import annotations

from typing import Any

from contracts.events import Actor
from contracts.events.notifications import NotificationFailed, NotificationSent
from contracts.reference import Role
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import Outbound
from services.notifications.application.app import NotificationsApp
from services.notifications.domain.known_case import KnownCase
from services.notifications.domain.notification import Notification
from services.notifications.domain.reminder import Reminder

SYSTEM = Actor(user_id="notifications-service", role=Role.SYSTEM, agency="maag")
# Only an email's outcome is published; the request, the reminder and what is known of the
# case's scope stay here.
CLASSES = EventClasses(
    published=(Notification.Sent, Notification.Failed),
    internal=(
        Notification.Requested,
        Reminder.Scheduled,
        Reminder.Fired,
        KnownCase.Seen,
        KnownCase.Placed,
    ),
)


class Translator:
    """Outcomes repeat facts from the request, so the translator reads the aggregate."""

    def __init__(self, app: NotificationsApp) -> None:
        self.app = app

    def __call__(self, e: Any) -> Outbound | None:
        n: Any = self.app.repository.get(e.originator_id, version=e.originator_version)
        assert isinstance(n, Notification)  # only a Notification's events are published
        base: dict[str, Any] = {
            "case_id": n.case_id,
            "occurred_at": e.timestamp,
            "actor": SYSTEM,
            "notification_id": n.id,
            "recipient": n.recipient,
            "template": n.template,
            "source_event_id": n.source_event_id,
            "source_type": n.source_type,
        }
        if isinstance(e, Notification.Sent):
            return Outbound(
                NotificationSent(**base, message_id=e.message_id),
                correlation_id=n.correlation_id,
                causation_id=n.source_event_id,
            )
        return Outbound(
            NotificationFailed(**base, reason=e.reason),
            correlation_id=n.correlation_id,
            causation_id=n.source_event_id,
        )
