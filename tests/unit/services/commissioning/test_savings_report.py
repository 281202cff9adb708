"""The savings report's sums in the database equal the domain's rules counted row by row
(`tests.support.savings_reference`), on SQLite here and on PostgreSQL in the integration
suite."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from services.commissioning.application.queries.savings_report import savings
from services.commissioning.application.tables import REPORTS
from services.commissioning.domain.savings import annual_costs
from tests.support.savings_reference import fill, reference

PERIODS = [
    (date(2026, 4, 1), date(2027, 3, 31)),
    (date(2026, 12, 1), date(2026, 12, 31)),
    (date(2025, 1, 1), date(2028, 12, 31)),
]


@pytest.mark.parametrize("seed", range(4))
def test_the_sums_in_the_database_are_the_rules_counted_row_by_row(
    tmp_path: Path, seed: int
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'read.sqlite'}")
    REPORTS.create_all(engine)
    fill(engine, seed)
    for costs in (annual_costs({}), {}, annual_costs({"school-exclusion": 1_234_567})):
        for first, last in PERIODS:
            assert savings(engine, costs, first, last) == reference(engine, costs, first, last)
