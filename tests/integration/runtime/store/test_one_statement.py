"""A service's commit in one statement (`maag.runtime.store.one_statement`): it must store,
refuse, lock and notify exactly as eventsourcing's own process recorder does, which is run
beside it on the same database; and the library statements it mirrors are pinned here, so a
change in the library shows."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg import sql

from maag.runtime.settings import Settings
from maag.runtime.store.one_statement import OneStatementRecorder
from tests.support.pipeline import Ledger, LedgerApp

A, B = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def app(postgres_url: str, pg_schema: str) -> Iterator[LedgerApp]:
    ledger = LedgerApp(Settings(postgres_url=postgres_url, postgres_schema=pg_schema))
    yield ledger
    ledger.close()


@pytest.fixture
def library(app: LedgerApp) -> PostgresProcessRecorder:
    """eventsourcing's own process recorder, on tables of its own in the same schema."""
    recorder = PostgresProcessRecorder(
        app.recorder.datastore,  # type: ignore[attr-defined]
        events_table_name="mirror_events",
        tracking_table_name="mirror_tracking",
    )
    recorder.create_table()
    return recorder


def stored(e: uuid.UUID, version: int, state: bytes = b"{}") -> StoredEvent:
    return StoredEvent(e, version, "tests.support.pipeline:Ledger.Noted", state)


def rows(postgres_url: str, schema: str, table: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(postgres_url) as conn:
        return conn.execute(
            sql.SQL("SELECT * FROM {}.{} ORDER BY 1, 2").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        ).fetchall()


def both(app: LedgerApp, library: PostgresProcessRecorder, *args: Any, **kwargs: Any) -> Any:
    """The same call on both recorders: what each returned, or the error each raised."""
    found: list[Any] = []
    for recorder in (app.recorder, library):
        try:
            found.append(recorder.insert_events(*args, **kwargs))
        except IntegrityError as e:
            found.append(type(e))
    assert found[0] == found[1]
    return found[0]


def test_the_service_stores_through_the_one_statement_recorder(app: LedgerApp) -> None:
    assert type(app.recorder) is OneStatementRecorder


def test_a_commit_stores_and_answers_what_the_librarys_own_does(
    app: LedgerApp, library: PostgresProcessRecorder, postgres_url: str, pg_schema: str
) -> None:
    assert both(app, library, [stored(A, 1), stored(B, 1)], tracking=Tracking("t:0", 5)) == [
        1,
        2,
    ]
    assert both(app, library, [], tracking=Tracking("t:0", 6)) is None  # a position alone
    assert both(app, library, [stored(A, 2, b"\x00\xff")]) == [3]  # no position (a request)
    assert both(app, library, [stored(B, 2)], tracking=Tracking("t:1", 1)) == [4]
    assert rows(postgres_url, pg_schema, "ledger_events") == rows(
        postgres_url, pg_schema, "mirror_events"
    )
    assert rows(postgres_url, pg_schema, "ledger_tracking") == rows(
        postgres_url, pg_schema, "mirror_tracking"
    )


def test_what_the_library_refuses_is_refused_whole(
    app: LedgerApp, library: PostgresProcessRecorder, postgres_url: str, pg_schema: str
) -> None:
    both(app, library, [stored(A, 1)], tracking=Tracking("t:0", 5))
    # a version stored already: the position given with it is not recorded either
    assert both(app, library, [stored(B, 1), stored(A, 1)], tracking=Tracking("t:0", 6)) is (
        IntegrityError
    )
    # a position not past the recorded one: the events given with it are not stored either
    assert both(app, library, [stored(B, 1)], tracking=Tracking("t:0", 5)) is IntegrityError
    assert both(app, library, [], tracking=Tracking("t:0", 4)) is IntegrityError
    assert rows(postgres_url, pg_schema, "ledger_events") == rows(
        postgres_url, pg_schema, "mirror_events"
    )
    assert [r[1:] for r in rows(postgres_url, pg_schema, "ledger_events")] == [
        (1, "tests.support.pipeline:Ledger.Noted", b"{}", 1)
    ]
    assert rows(postgres_url, pg_schema, "ledger_tracking") == [("__migration__", 1), ("t:0", 5)]
    assert rows(postgres_url, pg_schema, "mirror_tracking") == [("__migration__", 1), ("t:0", 5)]


def test_a_position_alone_is_recorded_and_refused_as_the_library_does(
    app: LedgerApp, library: PostgresProcessRecorder, postgres_url: str, pg_schema: str
) -> None:
    for recorder in (app.recorder, library):
        recorder.insert_tracking(Tracking("outbox:ledger", 3))
        recorder.insert_tracking(Tracking("outbox:ledger", 9))
        with pytest.raises(IntegrityError):
            recorder.insert_tracking(Tracking("outbox:ledger", 9))  # not past it
    assert rows(postgres_url, pg_schema, "ledger_tracking") == rows(
        postgres_url, pg_schema, "mirror_tracking"
    )
    assert app.positions("outbox:ledger") == {"outbox:ledger": 9}


def test_the_previous_releases_recorder_and_this_one_write_side_by_side(
    app: LedgerApp, postgres_url: str, pg_schema: str
) -> None:
    """In a rolling update the previous release's pods commit through the library's recorder
    to the same tables, while the new ones commit through the function."""
    previous = PostgresProcessRecorder(
        app.recorder.datastore,  # type: ignore[attr-defined]
        events_table_name="ledger_events",
        tracking_table_name="ledger_tracking",
    )
    ours = app.recorder
    assert previous.insert_events([stored(A, 1)], tracking=Tracking("t:0", 1)) == [1]
    assert ours.insert_events([stored(A, 2)], tracking=Tracking("t:0", 2)) == [2]
    assert previous.insert_events([stored(B, 1)]) == [3]
    assert ours.insert_events([stored(B, 2), stored(A, 3)]) == [4, 5]
    with pytest.raises(IntegrityError):
        ours.insert_events([stored(B, 1)])  # the other's version
    with pytest.raises(IntegrityError):
        previous.insert_events([stored(A, 4)], tracking=Tracking("t:0", 2))  # the other's position
    assert [r[:2] + r[4:] for r in rows(postgres_url, pg_schema, "ledger_events")] == sorted(
        [(A, 1, 1), (A, 2, 2), (A, 3, 5), (B, 1, 3), (B, 2, 4)]
    )
    assert app.positions("t:0") == {"t:0": 2}


def test_a_commit_and_a_position_are_one_statement_each(
    app: LedgerApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    execute = psycopg.Cursor.execute
    here = threading.get_ident()  # (the pool sets up new connections in threads of its own)

    def counted(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == here:
            sent.append(query.as_string(self) if isinstance(query, sql.Composable) else str(query))
        return execute(self, query, *args, **kwargs)

    def no_block(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a transaction block was opened (BEGIN ... COMMIT)")

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    monkeypatch.setattr(psycopg.Connection, "transaction", no_block)
    app.record(Tracking("referral.events:0", 7), [Ledger(case_id=A)])
    assert len(sent) == 1, sent  # the library's pipeline: five, between BEGIN and COMMIT
    app.recorder.insert_tracking(Tracking("outbox:ledger", 4))
    assert len(sent) == 2, sent
    monkeypatch.undo()
    assert app.notes(A) == []
    assert app.positions("referral.events:0", "outbox:ledger") == {
        "referral.events:0": 7,
        "outbox:ledger": 4,
    }


def test_a_commit_waits_for_the_events_tables_lock_and_notifies_its_readers(
    app: LedgerApp, postgres_url: str, pg_schema: str
) -> None:
    events = sql.SQL("{}.{}").format(sql.Identifier(pg_schema), sql.Identifier("ledger_events"))
    with (
        psycopg.connect(postgres_url, autocommit=True) as listener,
        psycopg.connect(postgres_url) as holder,
    ):
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier("ledger_events")))
        holder.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events))
        done: list[Any] = []
        writer = threading.Thread(
            target=lambda: done.append(app.recorder.insert_events([stored(A, 1)]))
        )
        writer.start()
        deadline = time.monotonic() + 10
        while not waiting_on_a_lock(holder, postgres_url):
            assert time.monotonic() < deadline, "the commit never waited on the table's lock"
            writer.join(0.02)
            assert writer.is_alive(), "the commit went through under another's lock"
        assert not done
        holder.commit()  # the lock goes: the commit goes through
        writer.join(10)
        assert done == [[1]]
        heard = list(listener.notifies(timeout=10, stop_after=1))
        assert [n.channel for n in heard] == ["ledger_events"]


def waiting_on_a_lock(holder: psycopg.Connection[Any], postgres_url: str) -> bool:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE %s AND pid <> %s",
            ("%maag_commit_ledger_events%", holder.info.backend_pid),
        ).fetchone()
    return bool(row and row[0])


def test_the_library_statements_the_function_mirrors_are_as_it_was_written_for(
    app: LedgerApp, pg_schema: str
) -> None:
    recorder = app.recorder
    assert isinstance(recorder, OneStatementRecorder)
    datastore = recorder.datastore
    assert datastore.single_row_tracking and datastore.lock_timeout == 0
    with datastore.get_connection() as conn:
        statements = [
            recorder.insert_tracking_statement,
            *recorder.lock_table_statements,
            recorder.insert_events_statement,
        ]
        text = [q.as_string(conn) for q in statements if isinstance(q, sql.Composable)]
    s = f'"{pg_schema}"'
    assert [" ".join(t.split()) for t in text] == [
        f'INSERT INTO {s}."ledger_tracking" VALUES (%(application_name)s, %(notification_id)s) '
        "ON CONFLICT (application_name) DO UPDATE SET notification_id = %(notification_id)s "
        f'WHERE {s}."ledger_tracking".notification_id < %(notification_id)s '
        "RETURNING notification_id",
        "SET LOCAL lock_timeout = '0s'",
        f'LOCK TABLE {s}."ledger_events" IN EXCLUSIVE MODE',
        f'INSERT INTO {s}."ledger_events" AS t ( originator_id, originator_version, topic, '
        f"state) SELECT originator_id, originator_version, topic, state FROM "
        f'unnest(%s::{s}."stored_event_uuid"[]) RETURNING notification_id',
    ]
    assert recorder.channel_name == "ledger_events"
