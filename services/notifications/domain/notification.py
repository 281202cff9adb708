"""One email to one recipient about one source event. Its id derives from the source event,
the template and the recipient, so a redelivered event finds it instead of asking again."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, THIRD_PARTY
from contracts.limits import TEXT_CHARS
from services.notifications.domain.values import (
    Asked,
    EmailStatus,
    Recipient,
    Template,
    delivery_key,
)

NAMESPACE = UUID("5d0b2a8e-7c61-4f0e-a3c2-6b9f4e1d8a70")


def notification_id(source_event_id: str, template: str, recipient: str) -> UUID:
    return uuid5(NAMESPACE, delivery_key(source_event_id, template, recipient))


class Notification(Aggregate):
    # Stored as asked (plain strings and a dict of strings); read back as values below.
    class Requested(Aggregate.Created):
        source_event_id: Annotated[str, OPERATIONAL]
        source_type: Annotated[str, OPERATIONAL]
        source_topic: Annotated[str, OPERATIONAL]
        case_id: Annotated[UUID, OPERATIONAL]
        template: Annotated[str, OPERATIONAL]
        recipient: Annotated[str, THIRD_PARTY]
        context: Annotated[dict[str, str], THIRD_PARTY]
        correlation_id: Annotated[str, OPERATIONAL]

    class Sent(Aggregate.Event):
        message_id: Annotated[str, OPERATIONAL]
        attempts: Annotated[int, OPERATIONAL]

        def apply(self, aggregate: Notification) -> None:
            aggregate.status = EmailStatus.SENT

    class Failed(Aggregate.Event):
        reason: Annotated[str, OPERATIONAL]
        attempts: Annotated[int, OPERATIONAL]

        def apply(self, aggregate: Notification) -> None:
            aggregate.status = EmailStatus.FAILED

    @event(Requested)
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
    ) -> None:
        self.case_id = case_id
        self.template = Template(template)
        self.recipient = recipient
        self.context = context
        self.source_event_id = source_event_id
        self.source_type = source_type
        self.source_topic = source_topic
        self.correlation_id = correlation_id
        self.status = EmailStatus.REQUESTED

    @classmethod
    def ask(cls, asked: Asked) -> Notification:
        return cls(**asked.stored())

    @staticmethod
    def create_id(source_event_id: str, template: str, recipient: str, **_: Any) -> UUID:
        return notification_id(source_event_id, template, recipient)

    @property
    def to(self) -> Recipient:
        return Recipient(self.recipient)

    @property
    def message_id(self) -> str:
        """Deterministic, so a resend after a crash can be dropped by the receiving system."""
        return f"<{self.id}@maag.notifications>"

    def sent(self, attempts: int) -> None:
        if self.status == EmailStatus.REQUESTED:
            self.trigger_event(self.Sent, message_id=self.message_id, attempts=attempts)

    def failed(self, reason: str, attempts: int) -> None:
        if self.status == EmailStatus.REQUESTED:
            # The reason may quote a mail server's answer: kept to what the event publishes.
            self.trigger_event(self.Failed, reason=reason[:TEXT_CHARS], attempts=attempts)
