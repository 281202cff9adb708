"""One email to one recipient about one source event. Its id derives from the source event,
the template and the recipient, so a redelivered event finds it instead of asking again."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.limits import TEXT_CHARS

NAMESPACE = UUID("5d0b2a8e-7c61-4f0e-a3c2-6b9f4e1d8a70")


def delivery_key(source_event_id: str, template: str, recipient: str) -> str:
    """One email of one template to one recipient because of one event (reminders too)."""
    return f"{source_event_id}|{template}|{recipient.lower()}"


def notification_id(source_event_id: str, template: str, recipient: str) -> UUID:
    return uuid5(NAMESPACE, delivery_key(source_event_id, template, recipient))


class Notification(Aggregate):
    class Requested(Aggregate.Created):
        source_event_id: str
        source_type: str
        source_topic: str
        case_id: UUID
        template: str
        recipient: str
        context: dict[str, Any]
        correlation_id: str

    class Sent(Aggregate.Event):
        message_id: str
        attempts: int

    class Failed(Aggregate.Event):
        reason: str
        attempts: int

    @event(Requested)
    def __init__(
        self,
        source_event_id: str,
        source_type: str,
        source_topic: str,
        case_id: UUID,
        template: str,
        recipient: str,
        context: dict[str, Any],
        correlation_id: str,
    ) -> None:
        self.case_id = case_id
        self.template = template
        self.recipient = recipient
        self.context = context
        self.source_event_id = source_event_id
        self.source_type = source_type
        self.source_topic = source_topic
        self.correlation_id = correlation_id
        self.status = "requested"

    @staticmethod
    def create_id(source_event_id: str, template: str, recipient: str, **_: Any) -> UUID:
        return notification_id(source_event_id, template, recipient)

    @property
    def message_id(self) -> str:
        """Deterministic, so a resend after a crash can be dropped by the receiving system."""
        return f"<{self.id}@maag.notifications>"

    def sent(self, attempts: int) -> None:
        if self.status == "requested":
            self._sent(message_id=self.message_id, attempts=attempts)

    def failed(self, reason: str, attempts: int) -> None:
        if self.status == "requested":
            # The reason may quote a mail server's answer: kept to what the event publishes.
            self._failed(reason=reason[:TEXT_CHARS], attempts=attempts)

    @event(Sent)
    def _sent(self, message_id: str, attempts: int) -> None:
        self.status = "sent"

    @event(Failed)
    def _failed(self, reason: str, attempts: int) -> None:
        self.status = "failed"
