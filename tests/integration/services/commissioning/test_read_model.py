"""The savings report's derived rows on PostgreSQL, whose integer division is its own
(`tests/unit/.../test_read_model.py` holds SQLite to the same)."""

from __future__ import annotations

from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from tests.unit.services.commissioning.test_read_model import check_pricing


def test_the_derived_rows_price_every_day_count_as_the_lines_do(
    postgres_url: str, pg_schema: str
) -> None:
    engine = read_model_engine(Settings(postgres_url=postgres_url, postgres_schema=pg_schema), "c")
    try:
        check_pricing(engine)
    finally:
        engine.dispose()
