"""Every email about a case: recipient, template, status, when. For panel members of the
case's district and tier, and auditors (the one policy's READ_NOTIFICATIONS); each read
recorded on the case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.web.auth import Caller
from services.notifications.application.access import case_scope
from services.notifications.application.app import NotificationsApp
from services.notifications.domain.values import EmailStatus


@dataclass(frozen=True)
class EmailRecord:
    """One email as the read model keeps it (work addresses only)."""

    notification_id: str
    case_id: str
    recipient: str
    template: str
    source_event_id: str
    status: EmailStatus
    detail: str | None  # the Message-ID once sent; the reason once failed
    requested_at: datetime
    updated_at: datetime


# The read model's emails about a case, in the order they were asked for.
EmailsOf = Callable[[UUID], list[EmailRecord]]


def emails_about_case(
    app: NotificationsApp, caller: Caller, case_id: UUID, emails_of: EmailsOf
) -> list[EmailRecord]:
    # What it knows of the case is all the policy needs: the scope is what is found.
    read_case(app, caller, Action.READ_NOTIFICATIONS, case_id, case_scope, lambda scope: scope)
    return emails_of(case_id)
