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
from services.commissioning.domain.rules import apportion, budget_years, committed_in_fy


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
        packages.c.period_id,
        packages.c.panel_key,
        packages.c.district,
        packages.c.weekly_cost_pence,
        packages.c.starts_on,
        packages.c.ended_on,
        lines.c.provider_id,
        lines.c.weekly_cost_pence,
    ).join(lines, lines.c.period_id == packages.c.period_id)
    if fy is not None:
        first, last = fy_bounds(fy)
        query = query.where(
            (packages.c.starts_on <= last)
            & (packages.c.ended_on.is_(None) | (packages.c.ended_on >= first))
        )
    # each period (a package's lines from one day): its own figures, then its lines
    periods: dict[str, tuple[tuple[str, str, int, date, date | None], list[tuple[str, int]]]] = {}
    with Session(engine) as session:
        for period_id, key, district, weekly, start, end, provider, line in session.execute(query):
            found = periods.get(period_id)
            if found is None:
                found = periods[period_id] = ((key, district, weekly, start, end), [])
            found[1].append((provider, line))
    horizon = budget_years(today, today).stop - 1  # an open package's last year counted
    totals: dict[tuple[int, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (key, district, weekly, start, end), its_lines in periods.values():
        years = range(financial_year(start), financial_year(end) + 1 if end else horizon + 1)
        for y in (y for y in years if fy in (None, y)):
            # the period's cost as its budgets hold it, then shared among its lines exactly
            committed = committed_in_fy(weekly, start, end, y)
            so_far = (
                committed_in_fy(weekly, start, min(end or today, today), y) if start <= today else 0
            )
            for (provider, _), c, t in _shared(its_lines, committed, so_far):
                row = totals[(y, key, district, provider)]
                row[0] += c
                row[1] += t
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


def _shared(
    its_lines: list[tuple[str, int]], committed: int, so_far: int
) -> list[tuple[tuple[str, int], int, int]]:
    """Each line with its exact share of the period's committed and spent-so-far pence."""
    if len(its_lines) == 1:  # most periods: one line takes it all
        return [(its_lines[0], committed, so_far)]
    weights = [line for _, line in its_lines]
    return list(
        zip(its_lines, apportion(committed, weights), apportion(so_far, weights), strict=True)
    )
