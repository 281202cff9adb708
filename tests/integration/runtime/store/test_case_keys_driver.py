"""The keyring's statements through psycopg on the real PostgreSQL (`SqlKeyring._make`,
`driver_transaction`): the log is the one the statements through SQLAlchemy wrote, entry
for entry (each MACed with the one before it, as `maag audit verify` replays it), whether
this keyring appended the log's last entry or another replica did; a case with a key keeps
it and logs nothing; appenders at once still make one unbroken log; and a failed statement
is raised, and leaves its connection, as SQLAlchemy does."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, ProgrammingError

from maag.runtime.evidence.keyring import breaks
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import (
    DESTROYED,
    GONE,
    MADE,
    REWRAPPED,
    SqlKeyring,
    digest_of,
    keyring_log_key,
    keys_table,
    log_mac,
)
from maag.runtime.store.driver import driver_transaction
from tests.support.keys import CHAIN_KEY

KEKS = (("k-2", os.urandom(32)), ("k-1", os.urandom(32)))
SERVICE = "drivertest"


@pytest.fixture
def settings(postgres_url: str, pg_schema: str) -> Iterator[Settings]:
    yield Settings(postgres_url=postgres_url, postgres_schema=pg_schema, chain_key=CHAIN_KEY)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    found = read_model_engine(settings, SERVICE)
    yield found
    found.dispose()


def _ring(engine: Engine, settings: Settings, keks: Any = KEKS) -> SqlKeyring:
    """A replica's keyring: its own instance (its own idea of the log's last entry)."""
    return SqlKeyring(engine, keks, keys_table(SERVICE), keyring_log_key(settings, SERVICE))


def _log(ring: SqlKeyring) -> list[tuple[int, UUID, str, bytes, bytes]]:
    c = ring.log.c
    with ring.engine.connect() as conn:
        rows = conn.execute(select(c.seq, c.owner_id, c.act, c.digest, c.mac).order_by(c.seq))
        return [(s, o, a, bytes(d), bytes(m)) for s, o, a, d, m in rows]


def _rows(ring: SqlKeyring) -> dict[UUID, bytes]:
    t = ring.table.c
    with ring.engine.connect() as conn:
        rows = conn.execute(select(ring.owner, t.wrapped, t.kek_id))
        return {o: digest_of(bytes(w), k) for o, w, k in rows}


def _chained(key: bytes, acts: list[tuple[UUID, str, bytes]]) -> list[bytes]:
    """The MACs the log's entries must have: each over the one before it, from the first."""
    macs, previous = [], b""
    for seq, (owner, act, digest) in enumerate(acts, start=1):
        previous = log_mac(key, previous, seq, owner, act, digest)
        macs.append(previous)
    return macs


def test_replicas_taking_turns_append_the_log_the_service_verifies(
    engine: Engine, settings: Settings
) -> None:
    key = keyring_log_key(settings, SERVICE)
    assert key is not None
    one, two = _ring(engine, settings), _ring(engine, settings)
    done: list[tuple[UUID, str]] = []
    for i in range(12):  # each appends after the other's entries as often as after its own
        ring = one if i % 3 else two
        ring.data_key(owner := uuid.uuid4())
        done.append((owner, MADE))
    erased = done[4][0]
    assert one.destroy(erased) == 1  # through SQLAlchemy, as before
    done.append((erased, DESTROYED))
    one._last = (1, os.urandom(32))  # as if it rolled back what it last appended
    for ring in (one, one, two, two):
        ring.data_key(owner := uuid.uuid4())
        done.append((owner, MADE))
    rotated = _ring(engine, settings, KEKS[1:])  # one made under the old key-encryption key
    rotated.data_key(old := uuid.uuid4())
    done.append((old, MADE))
    assert two.rotate() == 1
    done.append((old, REWRAPPED))
    one.data_key(last := uuid.uuid4())
    done.append((last, MADE))

    log, rows = _log(one), _rows(one)
    assert [(o, a) for _, o, a, _, _ in log] == done
    assert [s for s, *_ in log] == list(range(1, len(done) + 1))
    assert [m for *_, m in log] == _chained(key, [(o, a, d) for _, o, a, d, _ in log])
    held = {o: GONE if a == DESTROYED else d for _, o, a, d, _ in log}
    assert {o: d for o, d in held.items() if d != GONE} == rows  # each row as logged
    assert held[erased] == GONE and erased not in rows
    assert breaks(engine, SERVICE, key) == []


def test_a_case_with_a_key_keeps_it_and_logs_nothing(engine: Engine, settings: Settings) -> None:
    first = _ring(engine, settings)
    case = uuid.uuid4()
    key = first.data_key(case)
    again = _ring(engine, settings)  # another replica: nothing cached
    assert again.data_key(case) == key
    assert [(o, a) for _, o, a, _, _ in _log(again)] == [(case, MADE)]


def test_appenders_at_once_make_one_unbroken_log(engine: Engine, settings: Settings) -> None:
    key = keyring_log_key(settings, SERVICE)
    assert key is not None
    rings = [_ring(engine, settings) for _ in range(2)]
    owners = [uuid.uuid4() for _ in range(120)]
    with ThreadPoolExecutor(6) as pool:
        keys = list(pool.map(lambda i: rings[i % 2].data_key(owners[i]), range(len(owners))))
    assert len(set(keys)) == len(owners)
    log = _log(rings[0])
    assert sorted(o for _, o, _, _, _ in log) == sorted(owners)
    assert [s for s, *_ in log] == list(range(1, len(owners) + 1))
    assert [m for *_, m in log] == _chained(key, [(o, a, d) for _, o, a, d, _ in log])
    assert breaks(engine, SERVICE, key) == []


def test_a_failed_statement_is_raised_and_its_connection_left_as_sqlalchemy_does(
    settings: Settings,
) -> None:
    base = read_model_engine(settings, SERVICE)
    base.dispose()
    engine = create_engine(  # one connection, reused
        base.url,
        pool_size=1,
        max_overflow=0,
        connect_args={"options": f"-csearch_path={settings.postgres_schema}"},
    )
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (n int PRIMARY KEY)")
        with pytest.raises(IntegrityError) as by_sqlalchemy, engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1), (1)")
        for autocommit in (False, True):
            with (
                pytest.raises(IntegrityError) as ours,
                driver_transaction(engine, autocommit) as cursor,
            ):
                cursor.execute("INSERT INTO t VALUES (2)")
                cursor.execute("INSERT INTO t VALUES (1), (1)")
            assert type(ours.value) is type(by_sqlalchemy.value)
            assert type(ours.value.orig) is type(by_sqlalchemy.value.orig)
            with engine.connect() as conn:
                kept = conn.execute(text("SELECT n FROM t")).scalars().all()
                assert kept == ([2] if autocommit else [])  # each statement its own, or none
                assert conn.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
                conn.exec_driver_sql("DELETE FROM t")
                conn.commit()
        with pytest.raises(ProgrammingError), driver_transaction(engine) as cursor:
            cursor.execute("SELECT * FROM no_such_table")
        with engine.connect() as conn:  # the connection is usable, in a transaction again
            conn.exec_driver_sql("INSERT INTO t VALUES (3)")
            conn.rollback()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        engine.dispose()
