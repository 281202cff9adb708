"""What the notifications service publishes: each email's outcome (the outbox translator),
one translator per published event class."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypedDict
from uuid import UUID

from contracts.events import Actor, IntegrationEvent
from contracts.events.notifications import NotificationFailed, NotificationSent
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import Outbound
from maag.runtime.store.unit_of_work import fold
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.domain.known_case import KnownCase
from services.notifications.domain.notification import Notification
from services.notifications.domain.package_reminders import PackageReminders
from services.notifications.domain.reminder import Reminder

SYSTEM = SERVICE.actor


class _About(TypedDict):
    """What both outcomes repeat from the email asked for."""

    case_id: UUID
    occurred_at: datetime
    actor: Actor
    notification_id: UUID
    recipient: str
    template: str
    source_event_id: str
    source_type: str


def _about(n: Notification, occurred_at: datetime) -> _About:
    return _About(
        case_id=n.case_id,
        occurred_at=occurred_at,
        actor=SYSTEM,
        notification_id=n.id,
        recipient=n.recipient,
        template=str(n.template),
        source_event_id=n.source_event_id,
        source_type=n.source_type,
    )


def _sent(e: Notification.Sent, n: Notification) -> IntegrationEvent:
    return NotificationSent(**_about(n, e.timestamp), message_id=e.message_id)


def _failed(e: Notification.Failed, n: Notification) -> IntegrationEvent:
    return NotificationFailed(**_about(n, e.timestamp), reason=e.reason)


# Only an email's outcome is published; the request, the reminder (and which one is live for
# a package's review) and what is known of the case's scope stay here.
TRANSLATORS: dict[type, Callable[[Any, Notification], IntegrationEvent]] = {
    Notification.Sent: _sent,
    Notification.Failed: _failed,
}
CLASSES = EventClasses(
    published=tuple(TRANSLATORS),
    internal=(
        Notification.Requested,
        Reminder.Scheduled,
        Reminder.Fired,
        Reminder.Superseded,
        PackageReminders.Started,
        PackageReminders.Listed,
        KnownCase.Seen,
        KnownCase.Placed,
        KnownCase.LeadNoted,
        KnownCase.Closed,
        KnownCase.ConsentNoted,
    ),
)


class Translator:
    """Outcomes repeat facts from the request, so the translator reads the aggregate: for a
    batch, every one the relay is to publish for, in one query (`prepare`)."""

    def __init__(self, app: NotificationsApp) -> None:
        self.app = app
        self._histories: dict[UUID, list[Any]] = {}

    def prepare(self, domain_events: Sequence[Any]) -> None:
        ids = {e.originator_id for e in domain_events}
        self._histories = self.app.histories(ids) if ids else {}

    def _as_of(self, e: Any) -> object:
        """The aggregate as it was when `e` was recorded."""
        history = self._histories.get(e.originator_id, [])
        upto = [h for h in history if h.originator_version <= e.originator_version]
        if upto and upto[-1].originator_version == e.originator_version:
            return fold(None, upto)
        return self.app.repository.get(e.originator_id, version=e.originator_version)

    def __call__(self, e: Any) -> Outbound | None:
        n = self._as_of(e)
        assert isinstance(n, Notification)  # only a Notification's events are published
        return Outbound(
            TRANSLATORS[type(e)](e, n),
            correlation_id=n.correlation_id,
            causation_id=n.source_event_id,
        )
