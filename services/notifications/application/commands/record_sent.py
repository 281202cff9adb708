"""Record that the mail server accepted an email (the sender, `adapters/smtp.py`, commits
it with its position in the log)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.commands import handlers
from services.notifications.domain.notification import Notification

if TYPE_CHECKING:
    from services.notifications.application.app import NotificationsApp


@dataclass(frozen=True, kw_only=True)
class RecordSent(Command):
    notification_id: UUID
    attempts: int


@handlers(RecordSent)
def record_sent(app: NotificationsApp, command: RecordSent, work: Work) -> Notification:
    notification = work.get_as(command.notification_id, Notification, "notification")
    notification.sent(command.attempts)
    return notification
