"""An email to send on a day to come (a package's review is due): kept until that day, then
turned into a Notification, once, unless a later listing of the same review supersedes it
first. Its id derives from what asked for it, like a Notification's, so a redelivered event
finds it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, THIRD_PARTY
from services.notifications.domain.values import (
    Asked,
    Recipient,
    Source,
    Template,
    delivery_key,
)

NAMESPACE = UUID("9a6c1b3e-2f47-4d8a-b5e0-3c7d9e1f2a64")


def reminder_id(source_event_id: str, template: str, recipient: str) -> UUID:
    return uuid5(NAMESPACE, delivery_key(source_event_id, template, recipient))


def review_reminder_day(review_on: date, meeting_starts_at: datetime, days_before: int) -> date:
    """The day a package's review is reminded: `days_before` the meeting that will review it
    (or the review day, if that comes first). A review brought forward to a meeting called
    for now is due at once."""
    return min(review_on, meeting_starts_at.date()) - timedelta(days=days_before)


class Reminder(Aggregate):
    # Stored as asked (the day as ISO text); read back as values below.
    class Scheduled(Aggregate.Created):
        source_event_id: Annotated[str, OPERATIONAL]
        source_type: Annotated[str, OPERATIONAL]
        source_topic: Annotated[str, OPERATIONAL]
        case_id: Annotated[UUID, OPERATIONAL]
        template: Annotated[str, OPERATIONAL]
        recipient: Annotated[str, THIRD_PARTY]
        context: Annotated[dict[str, str], THIRD_PARTY]
        correlation_id: Annotated[str, OPERATIONAL]
        due_on: Annotated[str, OPERATIONAL]

    class Fired(Aggregate.Event):
        notification_id: Annotated[UUID, OPERATIONAL]

        def apply(self, aggregate: Reminder) -> None:
            aggregate.fired = True

    class Superseded(Aggregate.Event):
        """A later listing of the same package's review replaced it: it never goes."""

        by_event_id: Annotated[str, OPERATIONAL]  # the listing that superseded it

        def apply(self, aggregate: Reminder) -> None:
            aggregate.superseded = True

    @event(Scheduled)
    def __init__(
        self,
        source_event_id: str,
        source_type: str,
        source_topic: str,
        case_id: UUID,
        template: str,
        recipient: str,
        context: dict[str, str],
        correlation_id: str,
        due_on: str,
    ) -> None:
        self.source_event_id = source_event_id
        self.source_type = source_type
        self.source_topic = source_topic
        self.case_id = case_id
        self.template = Template(template)
        self.recipient = recipient
        self.context = context
        self.correlation_id = correlation_id
        self.due_on = date.fromisoformat(due_on)
        self.fired = False
        self.superseded = False

    @classmethod
    def schedule(cls, asked: Asked, due_on: date) -> Reminder:
        return cls(**asked.stored(), due_on=due_on.isoformat())

    @staticmethod
    def create_id(source_event_id: str, template: str, recipient: str, **_: Any) -> UUID:
        return reminder_id(source_event_id, template, recipient)

    @property
    def asked(self) -> Asked:
        """The email it keeps, as it was asked for."""
        return Asked(
            source=Source(
                self.source_event_id, self.source_type, self.source_topic, self.correlation_id
            ),
            case_id=self.case_id,
            template=self.template,
            recipient=Recipient(self.recipient),
            context=self.context,
        )

    def due(self, today: date) -> bool:
        return not self.fired and not self.superseded and self.due_on <= today

    def fire(self, notification_id: UUID) -> None:
        if not self.fired:
            self.trigger_event(self.Fired, notification_id=notification_id)

    def supersede(self, by_event_id: str) -> None:
        """Not to go: a later listing asked for the reminder that replaces it (one gone
        already stays gone)."""
        if not self.fired and not self.superseded:
            self.trigger_event(self.Superseded, by_event_id=by_event_id)
