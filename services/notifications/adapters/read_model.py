"""Who was told what, and when: one row per email (work addresses only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, MetaData, String, Table, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.notifications.domain.notification import Notification
from services.notifications.domain.reminder import Reminder

metadata = MetaData()

emails = Table(
    "notification_emails",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("recipient", String(320), nullable=False),
    Column("template", String(60), nullable=False),
    Column("source_event_id", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("detail", String(2000)),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# Emails kept for a day to come (review reminders), and whether they have gone.
reminders = Table(
    "notification_reminders",
    metadata,
    Column("reminder_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("due_on", Date, nullable=False, index=True),
    Column("fired", Boolean, nullable=False),
)


def project(e: Any, session: Session) -> None:
    if isinstance(e, Reminder.Scheduled):
        session.execute(
            reminders.insert().values(
                reminder_id=str(e.originator_id),
                case_id=str(e.case_id),
                due_on=date.fromisoformat(e.due_on),
                fired=False,
            )
        )
    elif isinstance(e, Reminder.Fired):
        session.execute(
            update(reminders)
            .where(reminders.c.reminder_id == str(e.originator_id))
            .values(fired=True)
        )
    elif isinstance(e, Notification.Requested):
        session.execute(
            emails.insert().values(
                notification_id=str(e.originator_id),
                case_id=str(e.case_id),
                recipient=e.recipient,
                template=e.template,
                source_event_id=e.source_event_id,
                status="requested",
                requested_at=e.timestamp,
                updated_at=e.timestamp,
            )
        )
    elif isinstance(e, Notification.Sent):
        _outcome(session, e, "sent", e.message_id)
    elif isinstance(e, Notification.Failed):
        _outcome(session, e, "failed", e.reason)


def _outcome(session: Session, e: Any, status: str, detail: str) -> None:
    session.execute(
        update(emails)
        .where(emails.c.notification_id == str(e.originator_id))
        .values(status=status, detail=detail, updated_at=e.timestamp)
    )


def for_case(engine: Engine, case_id: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.execute(
            select(emails).where(emails.c.case_id == case_id).order_by(emails.c.requested_at)
        ).mappings()
        return [dict(r) for r in rows]


def due_reminders(engine: Engine, today: date, limit: int = 100) -> list[str]:
    """Reminders whose day has come and that have not gone yet, earliest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(reminders.c.reminder_id)
            .where(reminders.c.due_on <= today, reminders.c.fired.is_(False))
            .order_by(reminders.c.due_on, reminders.c.reminder_id)
            .limit(limit)
        )
        return [str(r[0]) for r in rows]
