"""A keyring on the real PostgreSQL (`maag.runtime.store.case_keys`, as the referral service
makes it): the keys of the intake requests waiting at once are made by one of them in one transaction, each
the key its case keeps (committed: another replica finds it), a case that had one keeps it,
and the keyring's log holds one entry for each key made, chained as `maag audit verify`
replays it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from maag.runtime.evidence.keyring import breaks
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import MADE, SqlKeyring, keyring_log_key
from services.referral.adapters.keyring import KEYS, referral_keyring
from tests.support.keys import CHAIN_KEY
from tests.support.read_models import statements_sent
from tests.support.referral import KEKS

SERVICE = "referral"


@pytest.fixture
def settings(postgres_url: str, pg_schema: str) -> Iterator[Settings]:
    yield Settings(
        postgres_url=postgres_url,
        postgres_schema=pg_schema,
        chain_key=CHAIN_KEY,
        key_encryption_keys=KEKS,
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    found = read_model_engine(settings, SERVICE)
    yield found
    found.dispose()


def _ring(engine: Engine, settings: Settings) -> SqlKeyring:
    return referral_keyring(engine, settings)


def _logged(ring: SqlKeyring) -> list[tuple[UUID, str]]:
    c = ring.log.c
    with ring.engine.connect() as conn:
        return [(o, a) for o, a in conn.execute(select(c.owner_id, c.act).order_by(c.seq))]


def _unbroken(engine: Engine, settings: Settings) -> None:
    key = keyring_log_key(settings, SERVICE)
    assert key is not None
    assert breaks(engine, SERVICE, key) == []


def test_waiting_requests_keys_are_made_together(engine: Engine, settings: Settings) -> None:
    ring = _ring(engine, settings)
    made: list[list[UUID]] = []
    make_keys = ring.make_keys

    def counted(case_ids: list[UUID]) -> dict[UUID, bytes]:
        made.append(list(case_ids))
        return make_keys(case_ids)

    ring.make_keys = counted  # type: ignore[method-assign]
    asked = threading.Semaphore(0)

    class Waiting(dict[UUID, None]):
        def __setitem__(self, case_id: UUID, value: None) -> None:
            super().__setitem__(case_id, value)
            asked.release()

    ring._waiting = Waiting()
    cases = [uuid.uuid4() for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        with ring._making:  # a maker at work: the three requests wait for it
            waiting = [pool.submit(ring.data_key, case) for case in cases]
            for _ in cases:
                assert asked.acquire(timeout=10)
        keys = [w.result() for w in waiting]
    assert len(made) == 1 and set(made[0]) == set(cases)  # one transaction for the three
    assert len(set(keys)) == 3
    replica = _ring(engine, settings)  # nothing cached: what was committed
    assert [replica.find(case) for case in cases] == keys
    assert sorted(map(str, _logged(ring))) == sorted(str((case, MADE)) for case in cases)
    _unbroken(engine, settings)


def test_the_log_entries_of_keys_made_together_go_in_one_statement(
    engine: Engine, settings: Settings
) -> None:
    ring = _ring(engine, settings)
    cases = [uuid.uuid4() for _ in range(10)]
    with statements_sent(engine) as sent:
        ring.make_keys(cases)
    logged = [s for s in sent if s.startswith(f"INSERT INTO {ring.log.name} ")]
    assert [s.count("), (") + 1 for s in logged] == [10]
    assert sorted(map(str, _logged(ring))) == sorted(str((case, MADE)) for case in cases)
    _unbroken(engine, settings)


def test_a_case_that_had_a_key_keeps_it_among_new_ones(engine: Engine, settings: Settings) -> None:
    first = _ring(engine, settings)
    had = uuid.uuid4()
    kept = first.data_key(had)
    ring = _ring(engine, settings)  # another replica: nothing cached
    new = [uuid.uuid4(), uuid.uuid4()]
    keys = ring.make_keys([new[0], had, new[1]])
    assert keys[had] == kept
    assert _ring(engine, settings).find(new[0]) == keys[new[0]]
    assert _logged(ring) == [(had, MADE), *((case, MADE) for case in new)]
    with engine.connect() as conn:
        assert conn.execute(select(KEYS.c.case_id)).scalars().all().count(had) == 1
    _unbroken(engine, settings)


def test_requests_at_once_each_get_their_cases_key_and_one_unbroken_log(
    engine: Engine, settings: Settings
) -> None:
    ring = _ring(engine, settings)
    cases = [uuid.uuid4() for _ in range(60)]
    with ThreadPoolExecutor(12) as pool:
        keys = list(pool.map(ring.data_key, cases))
    assert len(set(keys)) == len(cases)
    replica = _ring(engine, settings)
    assert [replica.find(case) for case in cases] == keys
    assert sorted(o for o, _ in _logged(ring)) == sorted(cases)
    _unbroken(engine, settings)
