"""The child index's statements through psycopg on the real PostgreSQL (`driver_transaction`)
against its portable twin through SQLAlchemy on SQLite, on the same generated referrals:
the same offers at every step (national keys certain or in conflict, the day and month
swapped, a retry of a referral), and the same rows indexed."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine

from contracts.events.referral import ChildDetails
from services.referral.adapters.child_index import SqlChildIndex, keys_table
from services.referral.domain.matching import match_keys, probe_keys
from services.referral.domain.values import Offer

GIVEN = ["Amara", "Amarah", "Jayden", "Jaden", "Kate", "Katherine"]
FAMILY = ["Okafor", "Okafur", "Smith", "Smyth"]
BORN = [date(2019, 4, 3), date(2019, 3, 4), date(2018, 11, 20)]
HOMES = ["9 Elm Close, Harlow CM20 2XY", "4 Mill Lane, Harlow CM20 1AB", "flat 2"]
NHS = [None, None, "9434765919", "4010232137"]


@pytest.fixture
def engines(postgres_url: str, pg_schema: str, tmp_path: Any) -> Iterator[tuple[Engine, Engine]]:
    url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    # one pooled connection: each statement finds it as the one before left it
    pg = create_engine(
        url, pool_size=1, max_overflow=0, connect_args={"options": f"-csearch_path={pg_schema}"}
    )
    lite = create_engine(f"sqlite:///{tmp_path / 'index.sqlite'}")
    yield pg, lite
    pg.dispose()
    lite.dispose()


def _children(seed: int, n: int) -> list[dict[str, Any]]:
    """Children from a few names, birthdays, homes and NHS numbers: many meet."""
    pick = random.Random(seed).choice
    out = []
    for _ in range(n):
        child = {
            "given_name": pick(GIVEN),
            "family_name": pick(FAMILY),
            "date_of_birth": pick(BORN).isoformat(),
            "address": pick(HOMES),
        }
        if nhs := pick(NHS):
            child["nhs_number"] = nhs
        out.append(child)
    return out


def _seen(offers: list[Offer]) -> list[tuple[UUID, tuple[UUID, ...], tuple[str, ...]]]:
    return [(o.child_id, o.case_ids, o.keys) for o in offers]


def _indexed(engine: Engine) -> set[tuple[Any, ...]]:
    c = keys_table.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.case_id, c.kind, c.token, c.child_id))
        return {(case, kind, bytes(token), child) for case, kind, token, child in rows}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_postgresql_offers_what_the_portable_statements_offer(
    engines: tuple[Engine, Engine], seed: int
) -> None:
    pg, lite = engines
    keys = [("k", os.urandom(32))]
    ours, portable = SqlChildIndex(pg, keys), SqlChildIndex(lite, keys)
    assert ours.engine.dialect.name == "postgresql"
    placed: list[tuple[UUID, UUID]] = []
    offered = 0
    # fewer referrals than PER_KEY: the two bound each lookup a little differently
    for i, child in enumerate(_children(seed, 40)):
        case, child_id = (uuid4(), uuid4()) if i % 7 or not placed else placed[i // 2]
        placed.append((case, child_id))
        details = ChildDetails.model_validate(child)
        args = (case, child_id, match_keys(details), probe_keys(details))
        theirs = _seen(portable.place(*args))
        assert _seen(ours.place(*args)) == theirs, child
        offered += len(theirs)
        with pg.connect() as conn:  # the pooled connection is given back as it was taken
            assert conn.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
    assert offered > 10  # the generated children meet: offers were compared, not only none
    assert _indexed(pg) == _indexed(lite)
