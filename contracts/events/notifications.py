"""Events the notifications service publishes on `maag.notifications.events`: who was told
what, and when (part of the safeguarding record). Recipients are professionals' and
providers' work addresses; no child's details are ever in an email."""

from __future__ import annotations

from typing import ClassVar

from pydantic import EmailStr, Field

from contracts.events.base import IntegrationEvent
from contracts.limits import EMAIL_CHARS, ID_CHARS, LABEL_CHARS, TEXT_CHARS
from contracts.strict import Uuid


class NotificationSent(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.notifications.NotificationSent.v1"

    notification_id: Uuid
    recipient: EmailStr = Field(max_length=EMAIL_CHARS)
    template: str = Field(max_length=LABEL_CHARS)
    source_event_id: str = Field(
        max_length=ID_CHARS, description="ce_id of the event that caused the email."
    )
    source_type: str = Field(max_length=LABEL_CHARS)
    message_id: str = Field(
        max_length=ID_CHARS,
        description="The email's Message-ID (deterministic; a resend repeats it).",
    )


class NotificationFailed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.notifications.NotificationFailed.v1"

    notification_id: Uuid
    recipient: str = Field(max_length=EMAIL_CHARS)
    template: str = Field(max_length=LABEL_CHARS)
    source_event_id: str = Field(max_length=ID_CHARS)
    source_type: str = Field(max_length=LABEL_CHARS)
    reason: str = Field(max_length=TEXT_CHARS)
