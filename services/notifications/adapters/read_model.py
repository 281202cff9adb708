"""Who was told what, and when: one row per email (work addresses only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.notifications.domain.notification import Notification

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


def project(e: Any, session: Session) -> None:
    if isinstance(e, Notification.Requested):
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
