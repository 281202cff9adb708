"""Anchors an administrator cannot quietly remove, on the real broker and PostgreSQL: signed
with an Ed25519 key only the anchoring process holds (the verifier holds the public key and
the chain key, and neither signs one), and written to an append-only witness outside the
database and the broker, which `verify` reads: removing anchors from the broker, or the tail
of the history with its chain rows, is still caught."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from contracts.events.audit import ChainAnchor
from contracts.topics import CHAIN_ANCHORS
from maag.runtime.evidence import anchors
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from tests.support.database import as_owner
from tests.support.keys import CHAIN_KEY
from tests.support.pipeline import Ledger, LedgerApp

SIGNING = Ed25519PrivateKey.generate()
PUBLIC = SIGNING.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.fixture
async def anchored(
    kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str, tmp_path: Path
) -> tuple[EventChain, Settings, Settings]:
    """The service (holding the signing key) and the verifier (the public key only): the
    service stored and chained ten events and anchored them on the broker and the witness."""
    await kafka.ensure_topics(kafka_bootstrap, topic_prefix, [CHAIN_ANCHORS])
    common = Settings(
        kafka_bootstrap=kafka_bootstrap,
        postgres_url=postgres_url,
        postgres_schema=pg_schema,
        topic_prefix=topic_prefix,
        chain_key=CHAIN_KEY,
        anchor_witness_dir=tmp_path / "witness",
    )
    service = dataclasses.replace(common, anchor_signing_key=_seed(SIGNING))
    verifier = dataclasses.replace(common, anchor_public_keys={"ledger": PUBLIC})
    ledger = LedgerApp(service)
    for _ in range(5):
        entry = Ledger(case_id=uuid.uuid4())
        entry.note("seen")
        ledger.save(entry)
    chain = EventChain(
        ledger, read_model_engine(service, "ledger"), ChainKeys.of(service, "ledger")
    )
    chain.extend()
    producer = kafka.producer(kafka_bootstrap, "test-anchor")
    await producer.start()
    try:
        assert await anchors.Anchorer(chain, chain.keys, producer, service).anchor("interval")
    finally:
        await producer.stop()
    return chain, service, verifier


def _seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


async def _breaks(chain: EventChain, verifier: Settings) -> list[tuple[int, str]]:
    held = EventChain(chain.app, chain.engine, ChainKeys.of(verifier, "ledger"))
    verdict = anchors.verify(held, await anchors.read_anchors(verifier))
    return [(b.notification_id, b.kind) for b in verdict.breaks]


async def test_the_anchor_is_on_the_broker_and_in_the_witness_and_verifies_by_public_key(
    anchored: tuple[EventChain, Settings, Settings],
) -> None:
    chain, _, verifier = anchored
    records = await anchors.read_anchors(verifier)
    assert records[0][0] == f"{CHAIN_ANCHORS.named(verifier.topic_prefix)}@0"
    assert sum(w.startswith("witness:ledger/") for w, _ in records) == 1
    assert await _breaks(chain, verifier) == []


async def test_the_chain_keys_holder_cannot_sign_an_anchor_the_verifier_trusts(
    anchored: tuple[EventChain, Settings, Settings],
) -> None:
    """The verifier holds MAAG_CHAIN_KEY: an anchor signed with the key derived from it (the
    previous release's anchor key) claiming a longer history is refused."""
    chain, _, verifier = anchored
    derived = ChainKeys.derive(CHAIN_KEY, "ledger")
    forged = derived.sign(99, bytes(32), datetime.now(UTC), "interval")
    assert verifier.anchor_witness_dir is not None
    anchors.witness(verifier.anchor_witness_dir, forged, forged.model_dump_json().encode())
    assert await _breaks(chain, verifier) == [(0, "forged")]


async def test_a_witnessed_anchor_is_never_overwritten(
    anchored: tuple[EventChain, Settings, Settings],
) -> None:
    _, _, verifier = anchored
    assert verifier.anchor_witness_dir is not None
    ((where, raw),) = anchors.read_witness(verifier.anchor_witness_dir)
    anchor = ChainAnchor.model_validate_json(raw)
    with pytest.raises(FileExistsError):
        anchors.witness(verifier.anchor_witness_dir, anchor, b"{}")
    assert anchors.read_witness(verifier.anchor_witness_dir) == [(where, raw)]


async def test_anchors_removed_from_the_broker_and_a_deleted_tail_are_caught_by_the_witness(
    anchored: tuple[EventChain, Settings, Settings],
) -> None:
    """The administrator of the database and the broker deletes the newest events with their
    chain rows and case-index rows, and the anchors topic with them."""
    chain, _, verifier = anchored
    admin = AIOKafkaAdminClient(bootstrap_servers=verifier.kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([CHAIN_ANCHORS.named(verifier.topic_prefix)])
    finally:
        await admin.close()
    as_owner(
        verifier,
        "DELETE FROM ledger_case_index WHERE originator_id IN "
        "(SELECT originator_id FROM ledger_events WHERE notification_id > 8)",
    )
    as_owner(verifier, "DELETE FROM ledger_events WHERE notification_id > 8")
    as_owner(verifier, "DELETE FROM ledger_chain WHERE notification_id > 8")
    assert sorted(await _breaks(chain, verifier)) == [(10, "truncated"), (10, "witness")]


def test_the_anchor_keys_are_read_once_and_named_when_wrong() -> None:
    from maag.runtime.settings import SettingsError

    text = base64.b64encode(PUBLIC).decode()
    assert Settings.from_env({"MAAG_ANCHOR_PUBLIC_KEYS": text}).anchor_public_keys == {"*": PUBLIC}
    both = Settings.from_env({"MAAG_ANCHOR_PUBLIC_KEYS": f"ledger={text}, panel={text}"})
    assert both.anchor_public_keys == {"ledger": PUBLIC, "panel": PUBLIC}
    with pytest.raises(SettingsError, match="MAAG_ANCHOR_SIGNING_KEY must be base64 of 32 bytes"):
        Settings.from_env({"MAAG_ANCHOR_SIGNING_KEY": base64.b64encode(bytes(48)).decode()})
    assert "anchor_signing_key" not in repr(
        Settings.from_env({"MAAG_ANCHOR_SIGNING_KEY": base64.b64encode(_seed(SIGNING)).decode()})
    )
