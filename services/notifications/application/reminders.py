"""Reminders whose day has come become Notifications, once each: the sender then delivers
them as it delivers every other email."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Work
from services.notifications.domain.notification import Notification
from services.notifications.domain.reminder import Reminder


def fire(app: ServiceApplication, reminder_ids: list[UUID], today: date) -> int:
    """Turn each due reminder into its email; returns how many went. Another replica doing
    the same at once is refused by the store (the ids are the same), so none goes twice."""
    fired = 0
    for rid in reminder_ids:
        work = Work(app)
        reminder = work.find(rid)
        if not isinstance(reminder, Reminder) or not reminder.due(today):
            continue
        notification = Notification(
            source_event_id=reminder.source_event_id,
            source_type=reminder.source_type,
            source_topic=reminder.source_topic,
            case_id=reminder.case_id,
            template=reminder.template,
            recipient=reminder.recipient,
            context=reminder.context,
            correlation_id=reminder.correlation_id,
        )
        reminder.fire(notification.id)
        work.add(reminder, notification)
        try:
            work.commit()
        except IntegrityError:
            continue  # fired by another replica meanwhile
        fired += 1
    return fired
