"""`ServiceApplication.histories` reads many aggregates' events in one query from
eventsourcing's events table: it must give exactly what the library's own per-aggregate
read gives (encrypted store included), so a change in the library's table shows here."""

from __future__ import annotations

import base64
import os
import uuid
from typing import Any

import pytest

from maag.runtime.settings import Settings
from maag.runtime.store import application
from maag.runtime.store.kept import KeptHistories
from maag.runtime.store.unit_of_work import Work
from tests.support.pipeline import Ledger, LedgerApp


def _saved(postgres_url: str, pg_schema: str, count: int) -> tuple[LedgerApp, list[Ledger]]:
    """An encrypted store holding `count` ledgers, the nth with n events."""
    key = base64.b64encode(os.urandom(32)).decode()
    app = LedgerApp(Settings(postgres_url=postgres_url, postgres_schema=pg_schema, cipher_key=key))
    ledgers = [Ledger(case_id=uuid.uuid4()) for _ in range(count)]
    for i, ledger in enumerate(ledgers):
        for n in range(i):
            ledger.note(f"note {n}")
    app.save(*ledgers)
    return app, ledgers


def test_histories_match_what_eventsourcing_reads_one_by_one(
    postgres_url: str, pg_schema: str
) -> None:
    app, ledgers = _saved(postgres_url, pg_schema, 5)
    try:
        missing = uuid.uuid4()
        found = app.histories([*(ledger.id for ledger in ledgers), missing])
        assert missing not in found
        for ledger in ledgers:
            expected = list(app.events.get(ledger.id))
            assert len(expected) == 1 + ledgers.index(ledger)
            assert [(type(e), vars(e)) for e in found[ledger.id]] == [
                (type(e), vars(e)) for e in expected
            ]
    finally:
        app.close()


def test_versions_are_each_aggregate_s_newest_event_as_the_library_reads_it(
    postgres_url: str, pg_schema: str
) -> None:
    """What a replay checks its kept entries against: the same table, without decoding."""
    app, ledgers = _saved(postgres_url, pg_schema, 4)
    try:
        missing = uuid.uuid4()
        found = app.versions([*(ledger.id for ledger in ledgers), missing])
        assert found == {
            ledger.id: next(iter(app.events.get(ledger.id, desc=True, limit=1))).originator_version
            for ledger in ledgers
        }
        assert sorted(found.values()) == [1, 2, 3, 4]
    finally:
        app.close()


def _queries(app: LedgerApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries of the events table sent: ours for many aggregates, and the library's own
    for one."""
    sent: list[str] = []
    real = application._of_aggregates
    select_events = app.recorder.select_events

    def counted(recorder: Any, query: str, *params: Any) -> Any:
        sent.append(query)
        return real(recorder, query, *params)

    def one(*args: Any, **kwargs: Any) -> Any:
        sent.append("select_events")
        return select_events(*args, **kwargs)

    monkeypatch.setattr(application, "_of_aggregates", counted)
    monkeypatch.setattr(app.recorder, "select_events", one)
    return sent


def _as_the_library_reads(app: LedgerApp, found: dict[uuid.UUID, list[Any]]) -> None:
    for aggregate_id, events in found.items():
        expected = list(app.events.get(aggregate_id))
        assert [(type(e), vars(e)) for e in events] == [(type(e), vars(e)) for e in expected]


def test_kept_histories_are_read_on_from_their_last_event_in_the_same_query(
    postgres_url: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept aggregate read with others (a command's, a batch's) costs no query of its own."""
    app, ledgers = _saved(postgres_url, pg_schema, 5)
    try:
        app.kept = KeptHistories(app.events, (Ledger,))
        for ledger in ledgers[1:3]:
            Work(app).get(ledger.id)  # folded: kept
        later = Work(app).get_as(ledgers[2].id, Ledger, "ledger")
        later.note("late")  # recorded since it was kept
        app.save(later)
        sent = _queries(app, monkeypatch)
        missing = uuid.uuid4()
        found = app.histories([*(ledger.id for ledger in ledgers), missing, ledgers[1].id])
        assert len(sent) == 1
        assert sorted(found) == sorted(ledger.id for ledger in ledgers)
        assert [len(found[ledger.id]) for ledger in ledgers] == [1, 2, 4, 4, 5]
        _as_the_library_reads(app, found)
    finally:
        app.close()


def test_a_kept_history_the_store_was_restored_behind_is_read_whole(
    postgres_url: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, ledgers = _saved(postgres_url, pg_schema, 4)
    try:
        app.kept = KeptHistories(app.events, (Ledger,))
        restored = ledgers[3]
        Work(app).get(restored.id)  # kept to version 4
        recorder: Any = app.recorder
        with recorder.datastore.transaction(commit=True) as curs:  # a backup at version 2
            curs.execute(
                f"DELETE FROM {recorder.datastore.schema}.{recorder.events_table_name} "
                "WHERE originator_id = %s AND originator_version > 2",
                (restored.id,),
            )
        sent = _queries(app, monkeypatch)
        found = app.histories([ledger.id for ledger in ledgers])
        assert len(sent) == 2  # the kept one again, whole
        assert [e.originator_version for e in found[restored.id]] == [1, 2]
        _as_the_library_reads(app, found)
        assert app.kept.last_kept(restored.id) is None  # forgotten until folded again
    finally:
        app.close()
