"""The keyring held to its log, on the real PostgreSQL: the keyring must change (keys made,
re-wrapped, destroyed by erasures), so an administrator who deletes a key row outside an
erasure, restores a destroyed key from a copy, adds or alters a row, or removes a log entry
from among the others, is named by verify's keyring check; the service's own changes are
not."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from maag.runtime.evidence.keyring import breaks
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import SqlKeyring, keyring_log_key, keys_table
from tests.support.database import as_owner
from tests.support.keys import CHAIN_KEY

KEKS = (("k-2", os.urandom(32)), ("k-1", os.urandom(32)))


@pytest.fixture
def settings(postgres_url: str, pg_schema: str) -> Iterator[Settings]:
    yield Settings(postgres_url=postgres_url, postgres_schema=pg_schema, chain_key=CHAIN_KEY)


def test_every_change_outside_the_service_is_named(settings: Settings) -> None:
    engine = read_model_engine(settings, "keytest")
    log_key = keyring_log_key(settings, "keytest")
    assert log_key is not None
    # the previous release's keys, made before the keyring kept a log: adopted at start
    SqlKeyring(engine, KEKS[1:], keys_table("keytest")).data_key(old := uuid.uuid4())
    ring = SqlKeyring(engine, KEKS, keys_table("keytest"), log_key)
    kept, erased, removed, altered = (uuid.uuid4() for _ in range(4))
    for owner in (kept, erased, removed, altered):
        ring.data_key(owner)
    copy = as_owner(
        settings, "SELECT wrapped, kek_id FROM keytest_data_keys WHERE owner_id = %s", erased
    )
    assert ring.destroy(erased) == 1
    assert ring.rotate() == 1  # the old key re-wrapped under k-2
    assert breaks(engine, "keytest", log_key) == []  # only the service's own changes

    as_owner(settings, "DELETE FROM keytest_data_keys WHERE owner_id = %s", removed)
    as_owner(
        settings,
        "INSERT INTO keytest_data_keys (owner_id, wrapped, kek_id) VALUES (%s, %s, %s)",
        erased,
        *copy[0],
    )
    as_owner(
        settings,
        "INSERT INTO keytest_data_keys (owner_id, wrapped, kek_id) VALUES (%s, %s, %s)",
        added := uuid.uuid4(),
        os.urandom(60),
        "k-2",
    )
    as_owner(
        settings,
        "UPDATE keytest_data_keys SET wrapped = %s WHERE owner_id = %s",
        os.urandom(60),
        altered,
    )
    as_owner(settings, "DELETE FROM keytest_data_keys_log WHERE seq = 3")
    found = sorted(str(b) for b in breaks(engine, "keytest", log_key))
    assert found == sorted(
        [
            "store: keyring (log entries 3..3 are missing)",
            f"store: keyring (the key of {removed} was removed outside an erasure)",
            f"store: keyring (the key of {erased} was destroyed and is back: restored)",
            f"store: keyring (the key of {added} was not made by the service)",
            f"store: keyring (the key of {altered} is not as the service left it)",
        ]
    )
    assert str(old) not in str(found)  # adopted, then re-wrapped: the service's own


def test_a_log_entry_altered_is_named(settings: Settings) -> None:
    engine = read_model_engine(settings, "keytest")
    log_key = keyring_log_key(settings, "keytest")
    assert log_key is not None
    ring = SqlKeyring(engine, KEKS, keys_table("keytest"), log_key)
    first = uuid.uuid4()
    ring.data_key(first)
    ring.data_key(uuid.uuid4())
    # the log's entry re-pointed at another aggregate, by someone without the service's key
    as_owner(
        settings,
        "UPDATE keytest_data_keys_log SET owner_id = %s WHERE seq = 1",
        other := uuid.uuid4(),
    )
    named = [str(b) for b in breaks(engine, "keytest", log_key)]
    assert f"store: keyring (log entry 1 (made {other}) is not the service's)" in named
    assert f"store: keyring (the key of {first} was not made by the service)" in named
