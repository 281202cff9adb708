"""What every service's reports share: the period a report covers (a query's `from` and
`to`, this financial year unless given, bounded), and the CSV a spreadsheet opens."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse

from contracts.reference import financial_year, fy_bounds

PeriodStart = Annotated[
    date | None, Query(alias="from", description="First day; default: this financial year's")
]
PeriodEnd = Annotated[
    date | None, Query(alias="to", description="Last day; default: this financial year's")
]
# A report covers at most this many days (ten years and leap days): bounded work per request.
LONGEST_PERIOD_DAYS = 3653


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Period:
    first: date
    last: date


async def report_period(first: PeriodStart = None, last: PeriodEnd = None) -> Period:
    """The days a report covers: this financial year unless given; refused (422, naming the
    parameter) when `to` is before `from` or the span is longer than ten years."""
    start, end = fy_bounds(financial_year(utc_today()))
    first, last = first or start, last or end
    if last < first:
        _refuse_to(f"to ({last}) is before from ({first})")
    if (last - first).days >= LONGEST_PERIOD_DAYS:
        _refuse_to("a report covers at most ten years")
    return Period(first, last)


def _refuse_to(reason: str) -> None:
    raise RequestValidationError([{"loc": ("query", "to"), "msg": reason, "type": "value_error"}])


ReportPeriod = Annotated[Period, Depends(report_period)]

# A report as CSV (`response_class=CSV`).
CSV = PlainTextResponse


def to_csv(rows: Sequence[Mapping[str, object]]) -> str:
    """One row per report row, the columns in the report's own order."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()
