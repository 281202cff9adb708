"""A reminder whose day has come becomes its email, once: the sender then delivers it as it
delivers every other email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.commands import handlers
from services.notifications.domain.notification import Notification
from services.notifications.domain.reminder import Reminder

if TYPE_CHECKING:
    from services.notifications.application.app import NotificationsApp


@dataclass(frozen=True, kw_only=True)
class FireReminder(Command):
    reminder_id: UUID
    today: date


@handlers(FireReminder)
def fire_reminder(app: NotificationsApp, command: FireReminder, work: Work) -> Notification | None:
    """The email asked for, or None for a reminder not (or no longer) due. Another replica
    firing it at once makes the same email: the store refuses the second commit."""
    reminder = work.find(command.reminder_id)
    if not isinstance(reminder, Reminder) or not reminder.due(command.today):
        return None
    notification = Notification.ask(reminder.asked)
    reminder.fire(notification.id)
    work.add(reminder, notification)
    return notification
