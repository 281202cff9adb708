"""Tamper evidence on the real PostgreSQL store and the real broker: change a payload byte,
delete a row, swap two rows, slip a row into the chained history, delete a case-index row,
delete the tail with its chain rows, rewrite and re-chain a history, forge an anchor —
`verify` names the place; untouched, it is clean."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.topics import CHAIN_ANCHORS
from maag.ops.cli import app as cli
from maag.runtime.evidence import anchors
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from maag.runtime.store.sealed import BODY, MAGIC, Sealer
from tests.support.database import as_owner
from tests.support.keys import CHAIN_KEY, CHAIN_KEY_TEXT
from tests.support.pipeline import Ledger, LedgerApp
from tests.support.read_models import statements_sent

Chained = tuple[LedgerApp, EventChain, Settings]
KEYS = ChainKeys.derive(CHAIN_KEY, "ledger")


@pytest.fixture
async def chained(
    kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> Chained:
    await kafka.ensure_topics(kafka_bootstrap, topic_prefix, [CHAIN_ANCHORS])
    settings = Settings(
        kafka_bootstrap=kafka_bootstrap,
        postgres_url=postgres_url,
        postgres_schema=pg_schema,
        topic_prefix=topic_prefix,
        chain_key=CHAIN_KEY,
        anchor_interval=0.2,
    )
    ledger = LedgerApp(settings)
    for _ in range(5):
        entry = Ledger(case_id=uuid.uuid4())
        entry.note("seen")
        ledger.save(entry)
    chain = EventChain(ledger, read_model_engine(settings, "ledger"), KEYS)
    chain.extend()
    return ledger, chain, settings


async def _anchor(chain: EventChain, settings: Settings) -> None:
    """The service's anchorer publishes the chain's head, as it does on its schedule."""
    producer = kafka.producer(settings.kafka_bootstrap, "test-anchor")
    await producer.start()
    try:
        assert await anchors.Anchorer(chain, KEYS, producer, settings).anchor("interval")
    finally:
        await producer.stop()


async def _verify(chain: EventChain, settings: Settings) -> list[tuple[int, str]]:
    records = await anchors.read_anchors(settings)
    verdict = await asyncio.to_thread(anchors.verify, chain, records)
    return [(b.notification_id, b.kind) for b in verdict.breaks]


async def test_an_untouched_anchored_store_verifies_clean(chained: Chained) -> None:
    _, chain, settings = chained
    await _anchor(chain, settings)
    records = await anchors.read_anchors(settings)
    verdict = anchors.verify(chain, records)
    assert verdict.clean and verdict.chained == 10 and verdict.head == verdict.stored_head
    assert (verdict.anchors, verdict.anchored_head) == (1, 10)


def test_a_changed_payload_byte_is_caught_at_that_event(chained: Chained) -> None:
    _, chain, settings = chained
    as_owner(
        settings,
        "UPDATE ledger_events SET state = overlay(state placing '\\x00'::bytea from 60 for 1) "
        "WHERE notification_id = 4",
    )
    # The event's own MAC fails there (the chain's link covers that MAC).
    assert [(b.notification_id, b.kind) for b in chain.verify().breaks] == [(4, "forged")]


def test_a_deleted_event_is_caught(chained: Chained) -> None:
    _, chain, settings = chained
    as_owner(settings, "DELETE FROM ledger_events WHERE notification_id = 7")
    assert [(b.notification_id, b.kind) for b in chain.verify().breaks] == [(7, "deleted")]


def test_two_swapped_events_are_caught_at_both(chained: Chained) -> None:
    _, chain, settings = chained
    rows = as_owner(
        settings, "SELECT notification_id, state FROM ledger_events WHERE notification_id IN (2, 6)"
    )
    states = dict(rows)
    as_owner(settings, "UPDATE ledger_events SET state = %s WHERE notification_id = 2", states[6])
    as_owner(settings, "UPDATE ledger_events SET state = %s WHERE notification_id = 6", states[2])
    assert [(b.notification_id, b.kind) for b in chain.verify().breaks] == [
        (2, "altered"),
        (2, "forged"),  # each event's MAC binds it to its aggregate and version
        (6, "altered"),
        (6, "forged"),
    ]


def test_an_event_slipped_into_the_chained_history_is_caught(chained: Chained) -> None:
    ledger, chain, settings = chained
    as_owner(settings, "SELECT setval('ledger_events_notification_id_seq', 15)")  # a gap
    later = Ledger(case_id=uuid.uuid4())
    later.note("seen")
    ledger.save(later)
    chain.extend()
    assert chain.verify().clean and chain.verify().head == 17
    as_owner(
        settings,
        "INSERT INTO ledger_events (originator_id, originator_version, topic, state, notification_id) "
        "SELECT originator_id, 99, topic, state, 12 FROM ledger_events WHERE notification_id = 4",
    )
    assert [(b.notification_id, b.kind) for b in chain.verify().breaks] == [(12, "inserted")]


# --- the attacks of issue 19: someone with the database's credentials ---


async def test_a_tail_deleted_with_its_chain_rows_is_caught_by_the_anchor(
    chained: Chained,
) -> None:
    """Deleting the newest events together with their chain rows leaves a chain that is
    consistent with itself: only the anchor outside the database says it reached further."""
    _, chain, settings = chained
    await _anchor(chain, settings)
    as_owner(
        settings,
        "DELETE FROM ledger_case_index WHERE originator_id IN "
        "(SELECT originator_id FROM ledger_events WHERE notification_id > 8)",
    )
    as_owner(settings, "DELETE FROM ledger_events WHERE notification_id > 8")
    as_owner(settings, "DELETE FROM ledger_chain WHERE notification_id > 8")
    assert chain.verify().clean  # without the anchor, nothing to see
    assert await _verify(chain, settings) == [(10, "truncated")]


async def test_a_history_rewritten_and_rechained_with_the_key_is_caught_by_the_anchor(
    chained: Chained,
) -> None:
    """An event edited and sealed again with the key, the chain rows from it deleted, and the
    service's own chainer (which holds the key) chaining the forged history again: every MAC
    and link checks, the anchor does not."""
    _, chain, settings = chained
    await _anchor(chain, settings)
    (state,) = as_owner(settings, "SELECT state FROM ledger_events WHERE notification_id = 4")[0]
    body = bytes(state)[BODY:].replace(b"seen", b"lost")
    ((originator, version, topic),) = as_owner(
        settings,
        "SELECT originator_id::text, originator_version, topic FROM ledger_events "
        "WHERE notification_id = 4",
    )
    forged = MAGIC + Sealer(KEYS.seal)(originator, version, topic, body) + body
    assert forged != bytes(state)
    as_owner(settings, "UPDATE ledger_events SET state = %s WHERE notification_id = 4", forged)
    as_owner(settings, "DELETE FROM ledger_chain WHERE notification_id >= 4")
    chain.extend()
    assert chain.verify().clean  # the links are good: the chainer made them
    assert await _verify(chain, settings) == [(10, "rechained")]


def test_a_history_rechained_without_the_key_fails_every_link_from_the_edit(
    chained: Chained,
) -> None:
    ledger, chain, settings = chained
    as_owner(settings, "UPDATE ledger_events SET topic = topic || 'x' WHERE notification_id = 4")
    as_owner(settings, "DELETE FROM ledger_chain WHERE notification_id >= 4")
    guessed = ChainKeys.derive(b"a key the attacker made up......", "ledger")
    EventChain(ledger, chain.engine, guessed).extend()
    breaks = [(b.notification_id, b.kind) for b in chain.verify().breaks]
    assert breaks == [(4, "altered"), (4, "forged")] + [(n, "altered") for n in range(5, 11)]


def test_a_deleted_case_index_row_is_caught_naming_the_event(chained: Chained) -> None:
    """Without the row, the case's replay would miss that aggregate (a recorded read)."""
    _, chain, settings = chained
    ((case_id, aggregate),) = as_owner(
        settings,
        "SELECT case_id, originator_id FROM ledger_case_index "
        "WHERE originator_id = (SELECT originator_id FROM ledger_events WHERE notification_id = 5)",
    )
    as_owner(settings, "DELETE FROM ledger_case_index WHERE originator_id = %s", aggregate)
    (b,) = chain.verify().breaks
    assert (b.notification_id, b.kind) == (5, "unindexed")
    assert str(case_id) in b.detail


def test_a_case_index_row_added_or_moved_is_caught(chained: Chained) -> None:
    _, chain, settings = chained
    as_owner(
        settings,
        "UPDATE ledger_case_index SET case_id = %s WHERE ctid = (SELECT min(ctid) FROM ledger_case_index)",
        uuid.uuid4(),
    )
    kinds = sorted(b.kind for b in chain.verify().breaks)
    assert kinds == ["misindexed", "unindexed"]


async def test_an_anchor_signed_with_another_key_is_refused_and_not_trusted(
    chained: Chained,
) -> None:
    """A forged anchor claiming a head the store never had is reported as forged, and is not
    taken as evidence that the store was truncated."""
    _, chain, settings = chained
    forger = ChainKeys.derive(b"not the services' chain key.....", "ledger")
    forged = forger.sign(99, bytes(32), datetime.now(UTC), "interval")
    producer = kafka.producer(settings.kafka_bootstrap, "test-forger")
    await producer.start()
    try:
        topic = CHAIN_ANCHORS.named(settings.topic_prefix)
        await producer.send_and_wait(topic, forged.model_dump_json().encode(), key=b"ledger")
        await producer.send_and_wait(topic, b'{"service": "ledger", "head": "x"}', key=b"ledger")
    finally:
        await producer.stop()
    records = await anchors.read_anchors(settings)
    verdict = anchors.verify(chain, records)
    # neither is trusted: the store has no anchor at all
    assert [b.kind for b in verdict.breaks] == ["forged", "forged", "unanchored"]
    assert "not signed with ledger's anchor key" in str(verdict.breaks[0])
    assert "unreadable: head" in str(verdict.breaks[1])
    assert verdict.anchors == 0


async def test_the_anchorer_anchors_on_its_interval_and_as_the_service_stops(
    chained: Chained, tmp_path: Path
) -> None:
    ledger, chain, settings = chained
    copy = tmp_path / "kept" / "anchors.jsonl"  # MAAG_ANCHOR_FILE: a copy kept elsewhere
    settings = dataclasses.replace(settings, anchor_file=copy)
    producer = kafka.producer(settings.kafka_bootstrap, "test-anchorer")
    await producer.start()
    stop = asyncio.Event()
    loop = asyncio.create_task(anchors.Anchorer(chain, KEYS, producer, settings).run(stop))
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while not (found := await anchors.read_anchors(settings)):
            assert asyncio.get_running_loop().time() < deadline, "no anchor on the interval"
        ((_, raw),) = found
        assert json.loads(raw) | {"head": 10, "reason": "interval"} == json.loads(raw)
        later = Ledger(case_id=uuid.uuid4())
        ledger.save(later)  # stored, not yet chained: the shutdown chains it, then anchors
        stop.set()
        await loop
    finally:
        await producer.stop()
    last = json.loads((await anchors.read_anchors(settings))[-1][1])
    assert (last["head"], last["reason"]) == (11, "shutdown")
    assert anchors.verify(chain, await anchors.read_anchors(settings)).clean
    on_topic = [raw for _, raw in await anchors.read_anchors(settings)]
    assert copy.read_bytes().splitlines() == on_topic  # the file holds the same anchors


async def test_a_store_is_anchored_within_a_second_not_an_interval_later(
    chained: Chained,
) -> None:
    # verify reports a store with events and no anchor: a new or restarted service must not
    # leave its store so for a whole interval (an hour, say)
    _, chain, settings = chained
    settings = dataclasses.replace(settings, anchor_interval=3600)
    producer = kafka.producer(settings.kafka_bootstrap, "test-anchorer-first")
    await producer.start()
    stop = asyncio.Event()
    loop = asyncio.create_task(anchors.Anchorer(chain, KEYS, producer, settings).run(stop))
    try:
        deadline = asyncio.get_running_loop().time() + 10
        while not (found := await anchors.read_anchors(settings)):
            assert asyncio.get_running_loop().time() < deadline, "not anchored promptly"
        ((_, raw),) = found
        assert json.loads(raw)["head"] == 10
    finally:
        stop.set()
        await loop
        await producer.stop()


async def test_maag_audit_verify_holds_the_stores_to_the_anchors_and_fails_on_a_break(
    chained: Chained, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, chain, settings = chained
    await _anchor(chain, settings)
    monkeypatch.setenv("MAAG_POSTGRES_URL", settings.postgres_url or "")
    monkeypatch.setenv("MAAG_POSTGRES_SCHEMA", settings.postgres_schema or "")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", settings.kafka_bootstrap)
    monkeypatch.setenv("MAAG_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("MAAG_CHAIN_KEY", CHAIN_KEY_TEXT)
    clean = await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify", "ledger"])
    assert clean.exit_code == 0, clean.output
    assert "10 events chained" in clean.output and "held to 1 anchor(s)" in clean.output
    as_owner(settings, "UPDATE ledger_events SET topic = topic || 'x' WHERE notification_id = 3")
    broken = await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify", "ledger"])
    assert broken.exit_code == 1
    assert "notification 3: altered" in broken.output
    # A file of anchors (a copy kept elsewhere) is held to as well.
    forged = ChainKeys.derive(bytes(32), "ledger").sign(3, bytes(32), datetime.now(UTC), "interval")
    copy = tmp_path / "anchors.jsonl"
    copy.write_text(forged.model_dump_json() + "\n")
    with_file = await asyncio.to_thread(
        CliRunner().invoke, cli, ["audit", "verify", "ledger", "--anchors", str(copy)]
    )
    assert "store: forged (anchor anchors.jsonl:1" in with_file.output
    monkeypatch.delenv("MAAG_CHAIN_KEY")
    monkeypatch.setenv("MAAG_HOME", str(tmp_path))  # no local keys there either
    keyless = await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify", "ledger"])
    assert keyless.exit_code == 2 and "MAAG_CHAIN_KEY is not set" in keyless.output


async def test_an_auditor_reads_each_stores_tamper_check_over_http(chained: Chained) -> None:
    """`GET /audit/store` (every service has it; the web app shows it) says what `verify`
    says, to auditors only."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from maag.runtime.evidence import audit_api
    from maag.runtime.evidence.case_history import CaseHistory
    from maag.runtime.spec import AuditSpec
    from maag.runtime.web import http
    from tests.support.identity import auth, verifier

    ledger, chain, settings = chained
    await _anchor(chain, settings)
    api = FastAPI()
    http.install(api, verifier())
    # anchored once, a while after the events: no anchor interval to hold it to here (the
    # fixture's 0.2 s is for the tests of stale anchors, and a loaded machine exceeds it)
    settings = dataclasses.replace(settings, anchor_interval=3600)
    audit_api.install(api, CaseHistory("ledger", ledger, chain, AuditSpec()), None, settings)
    client = TestClient(api)
    auditor = auth("auditor", "county-audit")
    intact = (await asyncio.to_thread(client.get, "/audit/store", headers=auditor)).json()
    assert (intact["intact"], intact["chained"], intact["anchors"], intact["breaks"]) == (
        True,
        10,
        1,
        [],
    )
    as_owner(settings, "DELETE FROM ledger_events WHERE notification_id = 7")
    broken = (await asyncio.to_thread(client.get, "/audit/store", headers=auditor)).json()
    assert broken["intact"] is False
    assert broken["breaks"] == ["notification 7: deleted (chained, no longer stored)"]
    other = auth("commissioner", "childrens-services")
    assert (await asyncio.to_thread(client.get, "/audit/store", headers=other)).status_code == 403


async def test_a_service_walks_its_chain_on_its_own_and_says_so_on_metrics(
    chained: Chained,
) -> None:
    """Every interval the service walks its whole chain: a break is found, kept as the
    latest verdict (what the auditor's page shows) and set on `maag_store_intact`, without
    anyone asking; `/audit/store/latest` answers from it, `/audit/store` walks again."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from prometheus_client import REGISTRY

    from maag.runtime.evidence import audit_api
    from maag.runtime.evidence.case_history import CaseHistory
    from maag.runtime.evidence.store_check import StoreCheck
    from maag.runtime.spec import AuditSpec
    from maag.runtime.web import http
    from tests.support.identity import auth, verifier

    ledger, chain, settings = chained
    await _anchor(chain, settings)
    # anchored once, with no anchor interval to hold it to here
    settings = dataclasses.replace(settings, anchor_interval=3600, store_check_interval=3600)
    check = StoreCheck("ledger", chain, settings)
    api = FastAPI()
    http.install(api, verifier())
    audit_api.install(api, CaseHistory("ledger", ledger, chain, AuditSpec()), check, settings)
    client = TestClient(api)
    auditor = auth("auditor", "county-audit")

    def intact() -> float | None:
        return REGISTRY.get_sample_value("maag_store_intact", {"service": "ledger"})

    first = (await asyncio.to_thread(client.get, "/audit/store/latest", headers=auditor)).json()
    assert first["intact"] is True and first["chained"] == 10 and intact() == 1
    as_owner(settings, "DELETE FROM ledger_events WHERE notification_id = 7")
    kept = (await asyncio.to_thread(client.get, "/audit/store/latest", headers=auditor)).json()
    assert kept == first  # the latest walk, not a new one

    check.interval = 0.2  # now walked every 0.2 s
    stop = asyncio.Event()
    walking = asyncio.create_task(check.run(stop))
    try:
        async with asyncio.timeout(20):  # the loop's own walk finds the break
            while check.latest is None or check.latest.report["intact"]:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await walking
    assert intact() == 0
    latest = (await asyncio.to_thread(client.get, "/audit/store/latest", headers=auditor)).json()
    assert latest["breaks"] == ["notification 7: deleted (chained, no longer stored)"]
    assert latest["walked_at"] > first["walked_at"]
    now = (await asyncio.to_thread(client.get, "/audit/store", headers=auditor)).json()
    assert now["intact"] is False and now["walked_at"] > latest["walked_at"]
    other = auth("commissioner", "childrens-services")
    refused = await asyncio.to_thread(client.get, "/audit/store/latest", headers=other)
    assert refused.status_code == 403


async def test_a_store_s_first_events_walked_before_the_anchorer_looked_are_not_a_break(
    chained: Chained,
) -> None:
    """The service's walk anchors its head first: a store whose first events were chained a
    moment before its walk (the anchorer looks each second until it has anchored once) is
    intact, not "unanchored" for the minutes until the next walk."""
    from maag.runtime.evidence.store_check import StoreCheck

    _, chain, settings = chained  # chained, never anchored
    settings = dataclasses.replace(settings, anchor_interval=3600)
    alone = await StoreCheck("ledger", chain, settings).walk()
    assert alone.report["intact"] is False  # without its anchorer: nothing vouches for it
    assert alone.report["breaks"][0].startswith("store: unanchored")
    producer = kafka.producer(settings.kafka_bootstrap, "test-anchor")
    await producer.start()
    try:
        anchorer = anchors.Anchorer(chain, KEYS, producer, settings)
        walked = await StoreCheck("ledger", chain, settings, anchorer).walk()
    finally:
        await producer.stop()
    assert walked.report["intact"] is True and walked.report["anchors"] == 1


def test_a_stretch_is_chained_in_one_statement_to_the_chain_and_one_to_the_case_index(
    chained: Chained,
) -> None:
    ledger, chain, _ = chained
    for _ in range(12):
        entry = Ledger(case_id=uuid.uuid4())
        entry.note("seen")
        ledger.save(entry)
    with statements_sent(chain.engine) as sent:
        assert chain.extend_once() == 24
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT")]
    # one statement each, a row of VALUES per event chained and per aggregate indexed
    assert [(s.split()[2], s.count("), (") + 1) for s in inserts] == [
        (chain.table.name, 24),
        (chain.index.table.name, 12),
    ]
    assert chain.verify().clean
