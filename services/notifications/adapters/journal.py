"""The sender's journal: each email the SMTP server accepted, written the moment it
answers, before the (slower, contended) commit of `NotificationSent` to the event store.

After a crash, an email found here is recorded as sent, not sent again. So a resend needs
the process to die in the millisecond between the server's answer and this insert, not in
the whole time the event store's commit takes (which waits on its table lock under load).
SMTP cannot be made transactional with the store; this makes the gap as small as it goes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from maag.runtime.follow.projection import create_tables
from maag.runtime.store.driver import driver_transaction

metadata = MetaData()
journal = Table(
    "notifications_sent_journal",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=False),
)

# Built once, its values bound on each insert: the sender journals every email on the event
# loop, between the server's answer and the next email. On PostgreSQL the one statement is
# given straight to psycopg, as its own transaction (no BEGIN and COMMIT to wait for).
_ACCEPTED = insert(journal)
_ACCEPTED_PG = (
    f"INSERT INTO {journal.name} (notification_id, attempts, accepted_at) "
    "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
)


class SentJournal:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._driver = engine.dialect.name == "postgresql"
        create_tables(metadata, engine)

    def accepted(self, notification_id: UUID, attempts: int) -> None:
        """Journal an email the server accepted (again: nothing more)."""
        at = datetime.now(UTC)
        if self._driver:
            with driver_transaction(self.engine, autocommit=True) as cursor:
                cursor.execute(_ACCEPTED_PG, (str(notification_id), attempts, at))
            return
        row = {"notification_id": str(notification_id), "attempts": attempts, "accepted_at": at}
        try:
            with self.engine.begin() as conn:
                conn.execute(_ACCEPTED, row)
        except IntegrityError:
            pass  # already journalled

    def sent_among(self, ids: Collection[UUID]) -> dict[UUID, int]:
        """Those of `ids` the server accepted already, with their attempts."""
        if not ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(journal.c.notification_id, journal.c.attempts).where(
                    journal.c.notification_id.in_([str(i) for i in ids])
                )
            ).all()
        return {UUID(nid): int(attempts) for nid, attempts in rows}
