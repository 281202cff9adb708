"""`ServiceApplication.histories` reads many aggregates' events in one query from
eventsourcing's events table: it must give exactly what the library's own per-aggregate
read gives (encrypted store included), so a change in the library's table shows here."""

from __future__ import annotations

import base64
import os
import uuid

from maag.runtime.settings import Settings
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
