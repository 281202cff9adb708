"""Spend by financial year, budget holder, district and provider: committed (to the year's
end, or the package's end) and to date, in pence. A package that runs past 31 March counts
in each year it runs in (an open one through the last year a budget may be set for now),
each year its part: as the budgets hold it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from contracts.reference import financial_year, fy_bounds, fy_label
from maag.runtime.web.auth import Caller
from services.commissioning.application.queries import require_report_reader
from services.commissioning.application.tables import lines, packages
from services.commissioning.domain.rules import budget_years, committed_in_fy


class SpendRow(TypedDict):
    financial_year: str  # 2026/27
    panel: str  # the budget holder: maag:<district>, earp or jap
    district: str
    provider_id: str
    committed_pence: int
    to_date_pence: int
    lines: int


def spend_report(caller: Caller, engine: Engine, today: date, fy: int | None) -> list[SpendRow]:
    require_report_reader(caller)
    return spend(engine, today, fy)


def spend(engine: Engine, today: date, fy: int | None = None) -> list[SpendRow]:
    query = select(
        packages.c.panel_key,
        packages.c.district,
        lines.c.provider_id,
        lines.c.weekly_cost_pence,
        packages.c.starts_on,
        packages.c.ended_on,
    ).join(lines, lines.c.period_id == packages.c.period_id)
    if fy is not None:
        first, last = fy_bounds(fy)
        query = query.where(
            (packages.c.starts_on <= last)
            & (packages.c.ended_on.is_(None) | (packages.c.ended_on >= first))
        )
    horizon = budget_years(today, today).stop - 1  # an open package's last year counted
    totals: dict[tuple[int, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    with Session(engine) as session:
        for key, district, provider, weekly, start, end in session.execute(query):
            years = range(financial_year(start), financial_year(end) + 1 if end else horizon + 1)
            for y in (y for y in years if fy in (None, y)):
                row = totals[(y, key, district, provider)]
                row[0] += committed_in_fy(weekly, start, end, y)
                row[1] += (
                    committed_in_fy(weekly, start, min(end or today, today), y)
                    if start <= today
                    else 0
                )
                row[2] += 1
    return [
        SpendRow(
            financial_year=fy_label(y),
            panel=key,
            district=district,
            provider_id=provider,
            committed_pence=c,
            to_date_pence=t,
            lines=n,
        )
        for (y, key, district, provider), (c, t, n) in sorted(totals.items())
    ]
