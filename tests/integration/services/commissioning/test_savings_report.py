"""The savings report's sums in PostgreSQL equal the domain's rules counted row by row
(`tests.support.savings_reference`): the database's date, rounding and window arithmetic
is PostgreSQL's here, not SQLite's."""

from __future__ import annotations

import pytest

from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from services.commissioning.application.queries.savings_report import savings
from services.commissioning.application.tables import REPORTS
from services.commissioning.domain.savings import annual_costs
from tests.support.savings_reference import fill, reference
from tests.unit.services.commissioning.test_savings_report import PERIODS


@pytest.mark.parametrize("seed", range(3))
def test_the_sums_in_postgresql_are_the_rules_counted_row_by_row(
    postgres_url: str, pg_schema: str, seed: int
) -> None:
    engine = read_model_engine(Settings(postgres_url=postgres_url, postgres_schema=pg_schema), "c")
    try:
        REPORTS.create_all(engine)
        fill(engine, seed, n=600)
        for costs in (annual_costs({}), {}):
            for first, last in PERIODS:
                assert savings(engine, costs, first, last) == reference(engine, costs, first, last)
    finally:
        engine.dispose()
