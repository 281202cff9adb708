"""Record that an email cannot go (refused for good, or no address), with the reason: the
sender (`adapters/smtp.py`) has dead-lettered it first and commits this with its position."""

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
class RecordFailure(Command):
    notification_id: UUID
    reason: str
    attempts: int


@handlers(RecordFailure)
def record_failure(app: NotificationsApp, command: RecordFailure, work: Work) -> Notification:
    notification = work.get_as(command.notification_id, Notification, "notification")
    notification.failed(command.reason, command.attempts)
    return notification
