"""The savings report's SQL pieces and its one statement on PostgreSQL, whose integer
division, collation and window arithmetic are its own (`tests/unit/.../test_savings_sql.py`
holds SQLite to the same)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from services.commissioning.application.tables import REPORTS
from tests.unit.services.commissioning.test_savings_sql import (
    WORDS,
    check_dense,
    check_rounding,
    check_signs_given,
    dense,
    in_order,
)


@pytest.fixture
def engine(postgres_url: str, pg_schema: str) -> Iterator[Engine]:
    engine = read_model_engine(Settings(postgres_url=postgres_url, postgres_schema=pg_schema), "c")
    try:
        yield engine
    finally:
        engine.dispose()


def test_rounded_quotient_is_pythons_round_whatever_the_sign(engine: Engine) -> None:
    check_rounding(engine)


def test_rounded_quotient_may_take_its_sign_from_a_cheaper_expression(engine: Engine) -> None:
    check_signs_given(engine)


def test_bytewise_sorts_as_python_sorts_strings(engine: Engine) -> None:
    assert in_order(engine, WORDS) == sorted(WORDS)


@pytest.mark.parametrize("seed", range(3))
def test_many_covers_of_a_case_are_credited_as_the_rules_say(engine: Engine, seed: int) -> None:
    REPORTS.create_all(engine)
    dense(engine, seed)
    check_dense(engine)
