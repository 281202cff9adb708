"""Who was told what, and when: one row per email (work addresses only); and the emails kept
for a day to come, for the reminder loop to find. Each stored event class has its projector
in `PROJECTORS`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contracts.classification import DataClass, column_class
from services.notifications.application.queries.emails_about_case import EmailRecord
from services.notifications.domain.notification import Notification
from services.notifications.domain.reminder import Reminder
from services.notifications.domain.values import EmailStatus

metadata = MetaData()

emails = Table(
    "notification_emails",
    metadata,
    Column(
        "notification_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)
    ),
    Column(
        "case_id", String(36), nullable=False, index=True, info=column_class(DataClass.OPERATIONAL)
    ),
    Column("recipient", String(320), nullable=False, info=column_class(DataClass.THIRD_PARTY)),
    Column("template", String(60), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "source_event_id", String(100), nullable=False, info=column_class(DataClass.OPERATIONAL)
    ),
    Column("status", String(20), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("detail", String(2000), info=column_class(DataClass.OPERATIONAL)),
    Column(
        "requested_at",
        DateTime(timezone=True),
        nullable=False,
        info=column_class(DataClass.OPERATIONAL),
    ),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        info=column_class(DataClass.OPERATIONAL),
    ),
)


# Emails kept for a day to come (review reminders), and whether they have gone. One that never
# will (a later listing of the same review superseded it) leaves the table: it is no longer
# kept, and a row deleted needs no new column in tables already created (`create_all` adds
# none), so the loop's query stays as it was.
reminders = Table(
    "notification_reminders",
    metadata,
    Column("reminder_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("case_id", String(36), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("due_on", Date, nullable=False, index=True, info=column_class(DataClass.OPERATIONAL)),
    Column("fired", Boolean, nullable=False, info=column_class(DataClass.OPERATIONAL)),
)


# Built once, their values bound on each event: building a statement per event (and its
# cache key) was most of the projection's time.
_SCHEDULE = reminders.insert()
_FIRE = (
    update(reminders)
    .where(reminders.c.reminder_id == bindparam("b_reminder_id"))
    .values(fired=True)
)
_SUPERSEDE = delete(reminders).where(reminders.c.reminder_id == bindparam("b_reminder_id"))
_REQUEST = emails.insert()
_OUTCOME = (
    update(emails)
    .where(emails.c.notification_id == bindparam("b_notification_id"))
    .values(
        status=bindparam("b_status"),
        detail=bindparam("b_detail"),
        updated_at=bindparam("b_updated_at"),
    )
)


def _scheduled(e: Reminder.Scheduled, session: Session) -> None:
    session.execute(
        _SCHEDULE,
        {
            "reminder_id": str(e.originator_id),
            "case_id": str(e.case_id),
            "due_on": date.fromisoformat(e.due_on),
            "fired": False,
        },
    )


def _fired(e: Reminder.Fired, session: Session) -> None:
    session.execute(_FIRE, {"b_reminder_id": str(e.originator_id)})


def _superseded(e: Reminder.Superseded, session: Session) -> None:
    session.execute(_SUPERSEDE, {"b_reminder_id": str(e.originator_id)})


def _requested(e: Notification.Requested, session: Session) -> None:
    session.execute(
        _REQUEST,
        {
            "notification_id": str(e.originator_id),
            "case_id": str(e.case_id),
            "recipient": e.recipient,
            "template": e.template,
            "source_event_id": e.source_event_id,
            "status": EmailStatus.REQUESTED.value,
            "requested_at": e.timestamp,
            "updated_at": e.timestamp,
        },
    )


def _sent(e: Notification.Sent, session: Session) -> None:
    _outcome(session, e, EmailStatus.SENT, e.message_id)


def _failed(e: Notification.Failed, session: Session) -> None:
    _outcome(session, e, EmailStatus.FAILED, e.reason)


def _outcome(session: Session, e: Notification.Event, status: EmailStatus, detail: str) -> None:
    session.execute(
        _OUTCOME,
        {
            "b_notification_id": str(e.originator_id),
            "b_status": status.value,
            "b_detail": detail,
            "b_updated_at": e.timestamp,
        },
    )


PROJECTORS: dict[type, Callable[[Any, Session], None]] = {
    Reminder.Scheduled: _scheduled,
    Reminder.Fired: _fired,
    Reminder.Superseded: _superseded,
    Notification.Requested: _requested,
    Notification.Sent: _sent,
    Notification.Failed: _failed,
}


def project(e: Any, session: Session) -> None:
    projector = PROJECTORS.get(type(e))
    if projector is not None:
        projector(e, session)


def for_case(engine: Engine, case_id: UUID) -> list[EmailRecord]:
    with Session(engine) as session:
        rows = session.execute(
            select(emails).where(emails.c.case_id == str(case_id)).order_by(emails.c.requested_at)
        ).mappings()
        return [EmailRecord(**{**r, "status": EmailStatus(r["status"])}) for r in rows]


def due_reminders(engine: Engine, today: date, limit: int = 100) -> list[UUID]:
    """Reminders whose day has come and that have not gone yet, earliest first (a superseded
    one is no longer kept here)."""
    with Session(engine) as session:
        rows = session.execute(
            select(reminders.c.reminder_id)
            .where(reminders.c.due_on <= today, reminders.c.fired.is_(False))
            .order_by(reminders.c.due_on, reminders.c.reminder_id)
            .limit(limit)
        )
        return [UUID(r[0]) for r in rows]
