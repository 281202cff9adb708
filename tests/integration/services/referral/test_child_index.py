"""The child index's one statement on the real PostgreSQL (the unit tests run its portable
twin on SQLite): the same offers from both, national keys certain or in conflict, the
swapped day and month found, each token's lookup bounded, and a retry the same rows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from contracts.events.referral import ChildDetails
from services.referral.adapters.child_index import PER_KEY, SqlChildIndex, keys_table
from services.referral.domain.matching import match_keys, probe_keys

CHILD = {
    "given_name": "Amara",
    "family_name": "Okafor",
    "date_of_birth": "2019-04-03",
    "address": "9 Elm Close, Harlow CM20 2XY",
}


@pytest.fixture
def engine(postgres_url: str, pg_schema: str) -> Iterator[Engine]:
    url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    found = create_engine(url, connect_args={"options": f"-csearch_path={pg_schema}"})
    yield found
    found.dispose()


def _place(index: SqlChildIndex, child: dict[str, Any], case_id: UUID | None = None) -> Any:
    details = ChildDetails.model_validate(child)
    case = case_id or uuid4()
    offers = index.place(case, uuid4(), match_keys(details), probe_keys(details))
    return case, {o.child_id: sorted(o.keys) for o in offers}


def test_the_statement_offers_what_the_rules_say_on_postgresql(engine: Engine) -> None:
    index = SqlChildIndex(engine, [("k", os.urandom(32))])
    assert index.engine.dialect.name == "postgresql"
    _, offered = _place(index, {**CHILD, "nhs_number": "9434765919"})
    assert offered == {}
    # the same NHS number, another name and home: certain
    _, offered = _place(
        index,
        {
            **CHILD,
            "given_name": "Ada",
            "family_name": "Eze",
            "address": "x",
            "nhs_number": "9434765919",
        },
    )
    assert list(offered.values()) == [["nhs-number"]]
    # the same child on paper but another NHS number: never offered
    _, offered = _place(index, {**CHILD, "nhs_number": "4010232137"})
    assert offered == {}
    # the day and month swapped, the full name the same: likely
    _, offered = _place(index, {**CHILD, "date_of_birth": "2019-03-04", "address": "y"})
    assert ["family-swapped-dob", "given-swapped-dob"] in offered.values()


def test_a_retry_writes_the_same_rows_and_each_lookup_is_bounded(engine: Engine) -> None:
    index = SqlChildIndex(engine, [("k", os.urandom(32))])
    case, _ = _place(index, CHILD)
    _place(index, CHILD, case)  # the same referral again
    with engine.connect() as conn:
        rows = conn.execute(
            select(func.count()).select_from(keys_table).where(keys_table.c.case_id == case)
        ).scalar()
    assert rows == len(match_keys(ChildDetails.model_validate(CHILD)))
    for _ in range(PER_KEY + 5):
        _place(index, CHILD)
    _, offered = _place(index, CHILD)
    assert 1 <= len(offered) <= 5  # MOST_OFFERS children, from at most PER_KEY rows a token
