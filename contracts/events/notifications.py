"""Events the notifications service publishes on `maag.notifications.events`: who was told
what, and when (part of the safeguarding record). Recipients are professionals' and
providers' work addresses; no child's details are ever in an email."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import EmailStr, Field

from contracts.classification import OPERATIONAL, THIRD_PARTY
from contracts.events.base import IntegrationEvent
from contracts.limits import EMAIL_CHARS, ID_CHARS, LABEL_CHARS, TEXT_CHARS
from contracts.strict import Uuid


class NotificationSent(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.notifications.NotificationSent.v1"

    notification_id: Annotated[Uuid, OPERATIONAL]
    recipient: Annotated[EmailStr, THIRD_PARTY] = Field(max_length=EMAIL_CHARS)
    template: Annotated[str, OPERATIONAL] = Field(max_length=LABEL_CHARS)
    source_event_id: Annotated[str, OPERATIONAL] = Field(
        max_length=ID_CHARS, description="ce_id of the event that caused the email."
    )
    source_type: Annotated[str, OPERATIONAL] = Field(max_length=LABEL_CHARS)
    message_id: Annotated[str, OPERATIONAL] = Field(
        max_length=ID_CHARS,
        description="The email's Message-ID (deterministic; a resend repeats it).",
    )


class NotificationFailed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.notifications.NotificationFailed.v1"

    notification_id: Annotated[Uuid, OPERATIONAL]
    recipient: Annotated[str, THIRD_PARTY] = Field(max_length=EMAIL_CHARS)
    template: Annotated[str, OPERATIONAL] = Field(max_length=LABEL_CHARS)
    source_event_id: Annotated[str, OPERATIONAL] = Field(max_length=ID_CHARS)
    source_type: Annotated[str, OPERATIONAL] = Field(max_length=LABEL_CHARS)
    reason: Annotated[str, OPERATIONAL] = Field(max_length=TEXT_CHARS)
