"""`verify` walks ranges of a history at once in forked processes (each on its own
connection, each link checked from the chain row before its range): on the real PostgreSQL,
a history tampered in every way `verify` names, with breaks on both sides of the ranges'
edges, gets the same verdict walked in four ranges as in one."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest

from maag.runtime.evidence import anchors
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from tests.support.database import as_owner
from tests.support.keys import CHAIN_KEY
from tests.support.pipeline import Ledger, LedgerApp

KEYS = ChainKeys.derive(CHAIN_KEY, "ledger")
Store = tuple[EventChain, Settings]


@pytest.fixture
def store(postgres_url: str, pg_schema: str) -> Store:
    settings = Settings(postgres_url=postgres_url, postgres_schema=pg_schema, chain_key=CHAIN_KEY)
    ledger = LedgerApp(settings)
    for _ in range(20):  # notifications 1 to 40: odd ones an aggregate's first, with its case
        entry = Ledger(case_id=uuid.uuid4())
        entry.note("seen")
        ledger.save(entry)
    chain = EventChain(ledger, read_model_engine(settings, "ledger"), KEYS)
    chain.extend()
    return chain, settings


def _anchor(settings: Settings, head: int, digest: bytes | None = None) -> anchors.Record:
    if digest is None:
        ((found,),) = as_owner(
            settings, "SELECT hash FROM ledger_chain WHERE notification_id = %s", head
        )
        digest = bytes(found)
    return (
        f"t@{head}",
        KEYS.sign(head, digest, datetime.now(UTC), "interval").model_dump_json().encode(),
    )


def test_an_untouched_history_walked_in_ranges_is_intact(store: Store) -> None:
    chain, settings = store
    records = [_anchor(settings, 10), _anchor(settings, 20), _anchor(settings, 40)]
    one = anchors.verify(chain, records, workers=1)
    four = anchors.verify(chain, records, workers=4)
    assert one.clean and four.clean
    assert (four.chained, four.head, four.anchors) == (40, 40, 3)


def test_a_tampered_history_walked_in_ranges_gets_the_same_breaks(store: Store) -> None:
    chain, settings = store
    records = [
        _anchor(settings, 10),
        _anchor(settings, 20, bytes(32)),  # a head at a range's end, rechained
        _anchor(settings, 40),
        _anchor(settings, 99, bytes(32)),  # past the chain
    ]
    as_owner(
        settings,
        "UPDATE ledger_events SET state = overlay(state placing '\\x00'::bytea from 60 for 1) "
        "WHERE notification_id = 5",
    )
    states = dict(
        as_owner(
            settings,
            "SELECT notification_id, state FROM ledger_events WHERE notification_id IN (12, 30)",
        )
    )
    as_owner(settings, "UPDATE ledger_events SET state = %s WHERE notification_id = 12", states[30])
    as_owner(settings, "UPDATE ledger_events SET state = %s WHERE notification_id = 30", states[12])
    as_owner(settings, "DELETE FROM ledger_events WHERE notification_id = 17")
    as_owner(settings, "DELETE FROM ledger_chain WHERE notification_id IN (21, 25)")
    as_owner(
        settings,
        "DELETE FROM ledger_case_index WHERE originator_id = "
        "(SELECT originator_id FROM ledger_events WHERE notification_id = 33)",
    )
    as_owner(settings, "UPDATE ledger_events SET state = '{}'::bytea WHERE notification_id = 38")
    one = anchors.verify(chain, records, workers=1)
    four = anchors.verify(chain, records, workers=4)  # (0, 10], (10, 20], (20, 30], (30, 40]
    assert four.breaks == one.breaks and four.chained == one.chained == 38
    # the forked walks left this process's own connections as they were
    assert anchors.verify(chain, records, workers=1).breaks == one.breaks
    assert [(b.notification_id, b.kind) for b in four.breaks] == [
        (5, "forged"),
        (12, "altered"),
        (12, "forged"),
        (17, "deleted"),
        (20, "rechained"),
        (21, "inserted"),  # its chain row gone: the next link no longer follows
        (22, "altered"),
        (25, "inserted"),
        (26, "altered"),
        (30, "altered"),
        (30, "forged"),
        (33, "unindexed"),
        (38, "altered"),
        (38, "unsealed"),
        (99, "truncated"),
        (0, "misindexed"),  # the index rows of 21 and 25, which the chain no longer covers
        (0, "misindexed"),
    ]


def test_a_walk_from_a_thread_beside_others_stays_in_one_process(store: Store) -> None:
    """A service's /audit/store runs `verify` in a worker thread: no fork there, however
    large the history."""
    from maag.runtime.evidence import chain as module

    found: list[int] = []
    thread = threading.Thread(target=lambda: found.append(module._workers(10**9, None)))
    thread.start()
    thread.join()
    assert found == [1]
    assert module._workers(module.PARALLEL_FROM - 1, None) == 1


def test_a_history_read_a_few_ids_at_a_time_across_a_gap_gets_the_same_verdict(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each query reads a window of ids (here three), and an empty window skips to the next
    stored id: a gap of a million ids (a sequence moved on) costs a query, and no event on
    either side of it or of a window's edge goes unchecked."""
    from maag.runtime.evidence import chain as module

    chain, settings = store
    as_owner(settings, "SELECT setval('ledger_events_notification_id_seq', 1000000)")
    for _ in range(3):
        entry = Ledger(case_id=uuid.uuid4())
        entry.note("seen")
        chain.app.save(entry)
    chain.extend()
    records = [_anchor(settings, 40), _anchor(settings, 1_000_006)]
    monkeypatch.setattr(module, "PAGE", 3)
    clean = anchors.verify(chain, records, workers=1)
    assert clean.clean and (clean.chained, clean.head) == (46, 1_000_006)
    as_owner(settings, "DELETE FROM ledger_events WHERE notification_id IN (3, 1000002)")
    for workers in (1, 2):
        verdict = anchors.verify(chain, records, workers=workers)
        assert [(b.notification_id, b.kind) for b in verdict.breaks] == [
            (3, "deleted"),
            (1_000_002, "deleted"),
        ]
