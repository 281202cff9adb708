"""Events the notifications service publishes on `maag.notifications.events`: who was told
what, and when (part of the safeguarding record). Recipients are professionals' and
providers' work addresses; no child's details are ever in an email."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import EmailStr, Field

from contracts.events.base import IntegrationEvent


class NotificationSent(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.notifications.NotificationSent.v1"

    notification_id: UUID
    recipient: EmailStr
    template: str
    source_event_id: str = Field(description="ce_id of the event that caused the email.")
    source_type: str
    message_id: str = Field(
        description="The email's Message-ID (deterministic; a resend repeats it)."
    )


class NotificationFailed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.notifications.NotificationFailed.v1"

    notification_id: UUID
    recipient: str
    template: str
    source_event_id: str
    source_type: str
    reason: str
