"""Issue 29's attacks by the database's own administrator, on the real PostgreSQL: a store
made append-only by its owner (`migrate`), its events encrypted and sealed by the service;
the superuser disables the append-only trigger and moves an encrypted event onto another
case, inserts a row, alters a byte, or removes the anchors. Each is caught by `verify`,
naming the notification; the untouched store (with events of the previous release, unsealed,
before the cut-over) is intact."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from contracts.topics import CHAIN_ANCHORS
from maag.ops.cli import app as cli
from maag.runtime.evidence import anchors
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from maag.runtime.store.migrations import migrate, writer_env
from maag.runtime.store.sealed import MAGIC, SealBroken
from tests.support.keys import CHAIN_KEY, CHAIN_KEY_TEXT, WRITER_PASSWORD
from tests.support.pipeline import Ledger, LedgerApp

KEYS = ChainKeys.derive(CHAIN_KEY, "ledger")
CIPHER_KEY = base64.b64encode(os.urandom(32)).decode()
PREVIOUS_RELEASE = {  # the library's own mapper and cipher: no MAC, no associated data
    "MAPPER_TOPIC": "eventsourcing.persistence:Mapper",
    "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
}


class Store:
    def __init__(self, owner: Settings, writer: Settings) -> None:
        self.owner, self.writer = owner, writer
        self.app = LedgerApp(writer)
        self.chain = EventChain(self.app, read_model_engine(writer, "ledger"), KEYS)
        self.cases: list[uuid.UUID] = []
        self.anchored: list[tuple[int, bytes, datetime]] = []  # heads signed by the anchorer

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """As the store's owner (the local PostgreSQL gives the tests no superuser; the owner
        has the same power over its tables), the append-only triggers disabled meanwhile."""
        assert self.owner.postgres_url and self.owner.postgres_schema
        with psycopg.connect(self.owner.postgres_url) as conn:
            conn.execute(
                sql.SQL("SET search_path TO {}").format(sql.Identifier(self.owner.postgres_schema))
            )
            for table in ("ledger_events", "ledger_chain", "ledger_case_index"):
                conn.execute(
                    sql.SQL("ALTER TABLE {} DISABLE TRIGGER ALL").format(sql.Identifier(table))
                )
            cur = conn.execute(query, params)
            found = cur.fetchall() if cur.description else []
            for table in ("ledger_events", "ledger_chain", "ledger_case_index"):
                conn.execute(
                    sql.SQL("ALTER TABLE {} ENABLE TRIGGER ALL").format(sql.Identifier(table))
                )
            return found

    def breaks(self, interval: float = 60.0) -> list[tuple[int, str]]:
        self.chain.extend()  # as the service's chainer does: it chains whatever is stored
        records = [
            (f"test@{i}", KEYS.sign(h, d, at, "interval").model_dump_json().encode())
            for i, (h, d, at) in enumerate(self.anchored)
        ]
        verdict = anchors.verify(self.chain, records, interval)
        return [(b.notification_id, b.kind) for b in verdict.breaks]

    def anchor(self) -> None:
        head, digest = self.chain.current_head()
        self.anchored = [*self.anchored, (head, digest, datetime.now(UTC))]


@pytest.fixture
def store(postgres_url: str, pg_schema: str) -> Iterator[Store]:
    owner = Settings(postgres_url=postgres_url, postgres_schema=pg_schema)
    migrate(owner, "ledger", "maag_test_ledger", WRITER_PASSWORD)
    env = writer_env(owner, "maag_test_ledger", WRITER_PASSWORD)
    writer = Settings(
        postgres_url=env["MAAG_POSTGRES_URL"],
        postgres_password=env["MAAG_POSTGRES_PASSWORD"],
        postgres_schema=pg_schema,
        store_migrated=True,
        chain_key=CHAIN_KEY,
        cipher_key=CIPHER_KEY,
    )
    # Two cases stored by the previous release (notifications 1-4), then three by this one
    # (5-10): the chainer's first run records the cut-over (4).
    previous = LedgerApp(writer, env=PREVIOUS_RELEASE)
    s = Store(owner, writer)
    for app, n in ((previous, 2), (s.app, 3)):
        for _ in range(n):
            ledger = Ledger(case_id=uuid.uuid4())
            ledger.note("seen")
            app.save(ledger)
            s.cases.append(ledger.id)
    previous.close()
    s.chain.extend()
    s.anchor()
    yield s
    s.app.close()


def test_an_untouched_store_with_the_previous_releases_events_is_intact(store: Store) -> None:
    states = [bytes(r[0]) for r in store.sql("SELECT state FROM ledger_events ORDER BY 1")]
    assert sum(s.startswith(MAGIC) for s in states) == 6  # 4 of the previous release
    assert store.breaks() == []
    for case_id in store.cases:  # both kinds decode
        assert store.app.notes(case_id) == ["seen"]


def test_an_encrypted_event_moved_onto_another_case_is_caught_and_not_decoded(
    store: Store,
) -> None:
    """The issue's attack: a sealed, encrypted `Noted` copied by INSERT … SELECT onto
    another case's aggregate, as its next version."""
    victim, accomplice = store.cases[2], store.cases[4]
    store.sql(
        "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
        "SELECT %s, 3, topic, state FROM ledger_events "
        "WHERE originator_id = %s AND originator_version = 2",
        accomplice,
        victim,
    )
    assert store.breaks() == [(11, "forged")]
    with pytest.raises(SealBroken, match=f"{accomplice} v3: not sealed there"):
        store.app.notes(accomplice)


def test_a_previous_release_event_moved_after_the_cut_over_is_caught(store: Store) -> None:
    """An unsealed event (no MAC) copied past the cut-over is not taken for a legacy one."""
    store.sql(
        "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
        "SELECT %s, 3, topic, state FROM ledger_events WHERE notification_id = 2",
        store.cases[4],
    )
    assert store.breaks() == [(11, "unsealed")]


def test_an_inserted_row_is_caught(store: Store) -> None:
    """A row made up without the key: with a MAC of the attacker's, or none at all."""
    (topic,) = store.sql("SELECT topic FROM ledger_events WHERE notification_id = 6")[0]
    for state in (MAGIC + os.urandom(80), b'{"event_id": "x"}'):
        store.sql(
            "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
            "VALUES (%s, (SELECT max(originator_version) + 1 FROM ledger_events "
            "WHERE originator_id = %s), %s, %s)",
            store.cases[3],
            store.cases[3],
            topic,
            state,
        )
    assert store.breaks() == [(11, "forged"), (12, "unsealed")]


def test_an_altered_byte_is_caught_at_that_event(store: Store) -> None:
    store.sql(
        "UPDATE ledger_events SET state = overlay(state placing '\\x00'::bytea from 70 for 1) "
        "WHERE notification_id = 8"
    )
    assert store.breaks() == [(8, "forged")]


def test_a_forged_cut_over_is_caught(store: Store) -> None:
    """Moving the cut-over later, to pass an inserted unsealed event off as the previous
    release's, breaks the cut-over's MAC: every unsealed event is then reported."""
    store.sql(
        "UPDATE ledger_chain SET hash = overlay(hash placing '\\x99'::bytea from 8 for 1) "
        "WHERE notification_id = 0"
    )
    found = store.breaks()
    assert found == [(n, "unsealed") for n in range(1, 5)] + [(0, "unsealed")]


def test_missing_or_stale_anchors_are_breaks(store: Store) -> None:
    store.anchored = []
    assert store.breaks() == [(0, "unanchored")]
    store.anchor()
    assert store.breaks() == []
    later = Ledger(case_id=uuid.uuid4())  # chained, and not anchored on the interval
    store.app.save(later)
    store.anchored = [(h, d, at.replace(year=at.year - 1)) for h, d, at in store.anchored]
    assert store.breaks() == [(11, "stale")]
    store.anchor()
    assert store.breaks() == []


async def test_maag_audit_verify_exits_1_naming_the_break_without_anchors(
    store: Store, monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str, topic_prefix: str
) -> None:
    """`MAAG_TOPIC_PREFIX=nowhere. maag audit verify` no longer says intact."""
    await kafka.ensure_topics(kafka_bootstrap, topic_prefix, [CHAIN_ANCHORS])
    w = store.writer
    monkeypatch.setenv("MAAG_POSTGRES_URL", w.postgres_url or "")
    monkeypatch.setenv("MAAG_POSTGRES_PASSWORD", w.postgres_password or "")
    monkeypatch.setenv("MAAG_POSTGRES_SCHEMA", w.postgres_schema or "")
    monkeypatch.setenv("MAAG_STORE_MIGRATED", "true")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("MAAG_TOPIC_PREFIX", topic_prefix)
    monkeypatch.setenv("MAAG_CHAIN_KEY", CHAIN_KEY_TEXT)
    monkeypatch.setenv("MAAG_CIPHER_KEY", CIPHER_KEY)
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify", "ledger"])
    assert result.exit_code == 1, result.output
    assert "intact" not in result.output
    assert "store: unanchored (no trusted anchor of ledger's chain" in result.output


def test_a_deleted_cut_over_is_caught_once_the_store_holds_sealed_events(store: Store) -> None:
    store.sql("DELETE FROM ledger_chain WHERE notification_id = 0")
    verdict = store.chain.verify()  # as `verify` (the chainer would record it again)
    assert [(b.notification_id, b.kind) for b in verdict.breaks] == [
        *[(n, "unsealed") for n in range(1, 5)],
        (0, "unsealed"),
    ]
    assert "cut-over record" in str(verdict.breaks[-1]) and "is missing" in str(verdict.breaks[-1])


def test_a_previous_release_store_not_yet_cut_over_verifies_intact(store: Store) -> None:
    """`verify` upgraded before the services: the chain (as the previous release made it)
    has no cut-over and the store no sealed event: its unsealed events are all legacy."""
    store.sql("DELETE FROM ledger_chain WHERE notification_id = 0 OR notification_id > 4")
    store.sql("DELETE FROM ledger_events WHERE notification_id > 4")
    store.sql("DELETE FROM ledger_case_index WHERE originator_id = ANY(%s)", store.cases[2:])
    assert store.chain.verify().clean
