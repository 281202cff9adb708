"""The sealing mapper reached through the library's public settings (MAPPER_TOPIC,
CIPHER_TOPIC): these fail when eventsourcing stops building the mapper and cipher that way,
or stops writing the formats the previous release stored."""

from __future__ import annotations

import base64
import dataclasses
import inspect
import os
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import InfrastructureFactory, Mapper, StoredEvent

from maag.runtime.settings import Settings
from maag.runtime.store.sealed import (
    BODY,
    MAGIC,
    SealBroken,
    SealingCipher,
    SealingMapper,
    derive_seal_key,
    where,
)
from tests.support.pipeline import Ledger, LedgerApp

CHAIN_KEY = os.urandom(32)
CIPHER_KEY = base64.b64encode(os.urandom(32)).decode()


def _app(tmp_path: Path, **more: object) -> LedgerApp:
    return LedgerApp(Settings(data_dir=tmp_path, chain_key=CHAIN_KEY, **more))  # type: ignore[arg-type]


def _stored(app: LedgerApp) -> list[StoredEvent]:
    return list(app.notifications(0, 100))


def test_the_library_builds_the_sealing_mapper_and_cipher_from_its_settings(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, cipher_key=CIPHER_KEY)
    assert type(app.mapper) is SealingMapper and type(app.mapper.cipher) is SealingCipher
    # The library's extension points this relies on, as they are.
    assert list(inspect.signature(Mapper.__init__).parameters) == [
        "self",
        "transcoder",
        "compressor",
        "cipher",
    ]
    assert InfrastructureFactory.MAPPER_TOPIC == "MAPPER_TOPIC"
    assert InfrastructureFactory.CIPHER_TOPIC == "CIPHER_TOPIC"


def test_events_are_stored_sealed_and_encrypted_with_their_place_as_associated_data(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, cipher_key=CIPHER_KEY)
    ledger = Ledger(case_id=uuid.uuid4())
    ledger.note("seen")
    app.save(ledger)
    _, second = _stored(app)
    assert second.state.startswith(MAGIC)
    body = second.state[BODY:]
    aes = AESGCM(base64.b64decode(CIPHER_KEY))
    bound = where(str(ledger.id), 2, second.topic)
    assert b'"event_id":"seen"' in aes.decrypt(body[:12], body[12:], bound)
    with pytest.raises(Exception):  # noqa: B017 — InvalidTag: no longer readable elsewhere
        aes.decrypt(body[:12], body[12:], where(str(uuid.uuid4()), 2, second.topic))
    assert app.notes(ledger.id) == ["seen"]


@pytest.mark.parametrize("cipher_key", [CIPHER_KEY, None], ids=["encrypted", "plain"])
def test_an_event_moved_to_another_aggregate_or_version_is_refused(
    tmp_path: Path, cipher_key: str | None
) -> None:
    app = _app(tmp_path, cipher_key=cipher_key)
    ledger = Ledger(case_id=uuid.uuid4())
    ledger.note("seen")
    app.save(ledger)
    _, noted = _stored(app)
    elsewhere = uuid.uuid4()
    for moved in (
        dataclasses.replace(noted, originator_id=elsewhere),
        dataclasses.replace(noted, originator_version=3),
        dataclasses.replace(noted, state=noted.state[:-1] + bytes([noted.state[-1] ^ 1])),
    ):
        with pytest.raises(SealBroken, match="not sealed there"):
            app.mapper.to_domain_event(moved)


def test_the_previous_releases_events_still_decode(tmp_path: Path) -> None:
    """Stored by the library's own mapper and cipher (no MAC, no associated data)."""
    previous = LedgerApp(
        Settings(data_dir=tmp_path, cipher_key=CIPHER_KEY),
        env={
            "MAPPER_TOPIC": "eventsourcing.persistence:Mapper",
            "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        },
    )
    ledger = Ledger(case_id=uuid.uuid4())
    ledger.note("before")
    previous.save(ledger)
    assert not _stored(previous)[1].state.startswith(MAGIC)
    previous.close()
    app = _app(tmp_path, cipher_key=CIPHER_KEY)
    assert app.notes(ledger.id) == ["before"]
    later: Ledger = app.repository.get(ledger.id)
    assert isinstance(later, Ledger)
    later.note("after")
    app.save(later)
    assert _stored(app)[2].state.startswith(MAGIC)
    assert app.notes(ledger.id) == ["before", "after"]


def test_without_the_chain_key_events_are_read_but_written_unsealed(tmp_path: Path) -> None:
    sealed = _app(tmp_path)
    ledger = Ledger(case_id=uuid.uuid4())
    sealed.save(ledger)
    sealed.close()
    keyless = LedgerApp(Settings(data_dir=tmp_path))
    assert keyless.repository.get(ledger.id).id == ledger.id
    keyless.save(Ledger(case_id=uuid.uuid4()))
    assert not _stored(keyless)[-1].state.startswith(MAGIC)  # `verify` reports it


def test_each_service_seals_with_its_own_key() -> None:
    assert derive_seal_key(CHAIN_KEY, "panel") != derive_seal_key(CHAIN_KEY, "referral")
