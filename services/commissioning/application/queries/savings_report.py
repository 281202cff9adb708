"""What EARP and JAP packages active in a period cost, against the outcomes they are
alternatives to: each outcome of a case counted once a day while a package for it is
active, at its annual cost (pence). By panel and district (with its quadrant), by quadrant
and by outcome. A package's cost is what the spend report counts for the same days, line
by line (`domain/savings.py` has the counting).

MAAG packages that name what they are there to prevent (early help: a child leaving home,
losing a school place, ...) are counted the same way but apart (`prevention`), never added
to the alternatives' figures: prevention is not an alternative to a placement."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import BigInteger, case, cast, distinct, func, literal, select, text, union_all
from sqlalchemy.engine import Engine
from typing_extensions import TypedDict

from contracts.reference import QUADRANT_OF, District
from maag.runtime.follow.portable_sql import day_number, day_of, greatest, least
from maag.runtime.web.auth import Caller
from services.commissioning.application.queries import require_report_reader
from services.commissioning.application.tables import avoided, lines, packages


class SavingsRow(TypedDict):
    panel: str
    district: str
    quadrant: str
    packages: int
    cases: int
    avoided_days: int
    avoided_cost_pence: int
    package_cost_pence: int
    saving_pence: int


class QuadrantSavings(TypedDict):
    quadrant: str
    avoided_cost_pence: int
    package_cost_pence: int
    saving_pence: int


class OutcomeSavings(TypedDict):
    outcome: str
    cases: int
    days: int
    cost_pence: int


class Prevention(TypedDict):
    """The MAAGs' packages that name what they prevent, over the same period."""

    rows: list[SavingsRow]
    outcomes: list[OutcomeSavings]
    unpriced_outcomes: list[str]
    avoided_cost_pence: int
    package_cost_pence: int
    saving_pence: int
    summary: str


SavingsReport = TypedDict(
    "SavingsReport",
    {
        "from": str,
        "to": str,
        "annual_cost_pence": dict[str, int],
        "unpriced_outcomes": list[str],
        "rows": list[SavingsRow],
        "quadrants": list[QuadrantSavings],
        "outcomes": list[OutcomeSavings],
        "avoided_cost_pence": int,
        "package_cost_pence": int,
        "saving_pence": int,
        "summary": str,
        "prevention": Prevention,
    },
)


def savings_report(
    caller: Caller, engine: Engine, costs: Mapping[str, int], first: date, last: date
) -> SavingsReport:
    require_report_reader(caller)
    return savings(engine, costs, first, last)


def savings(engine: Engine, costs: Mapping[str, int], first: date, last: date) -> SavingsReport:
    alternatives = _counted(engine, costs, first, last, ("earp", "jap"))
    rows, by_outcome, unpriced = _counted(engine, costs, first, last, ("maag",), named_only=True)
    avoided_cost = sum(r["avoided_cost_pence"] for r in rows)
    package_cost = sum(r["package_cost_pence"] for r in rows)
    prevention = Prevention(
        rows=rows,
        outcomes=by_outcome,
        unpriced_outcomes=sorted(unpriced),
        avoided_cost_pence=avoided_cost,
        package_cost_pence=package_cost,
        saving_pence=avoided_cost - package_cost,
        summary=(
            f"MAAG prevention from {first} to {last}: £{avoided_cost / 100:,.0f} of outcomes "
            f"prevented against £{package_cost / 100:,.0f} of the packages that name them"
            + (f" ({', '.join(sorted(unpriced))} unpriced)" if unpriced else "")
        ),
    )
    return _report(first, last, costs, *alternatives, prevention)


def _counted(
    engine: Engine,
    costs: Mapping[str, int],
    first: date,
    last: date,
    panels: tuple[str, ...],
    named_only: bool = False,
) -> tuple[list[SavingsRow], list[OutcomeSavings], set[str]]:
    """The rows, outcomes and unpriced outcomes of the packages of `panels` (`named_only`:
    of those that name an outcome, as a MAAG package may; every EARP and JAP package must).

    Added up in the database over day numbers (a year of a county is 100,000s of rows):
    a line's cost is `rules.cost_between`, a cover's days `savings.avoided_days` (the
    covers of a case's outcome in order of start, each credited with the days after the
    last day any earlier one reached) and its worth `savings.worth`; a test holds each to
    its Python rule. No rounding tie can differ: a week's and a year's fractions are
    sevenths and 365ths, never a half."""
    a, z = day_of(first), day_of(last)  # the first and last days' numbers
    start, end = day_number(packages.c.starts_on), day_number(packages.c.ended_on)
    chosen = [packages.c.panel.in_(panels)]
    if named_only:
        chosen.append(packages.c.package_id.in_(select(avoided.c.package_id)))
    rows = (
        select(
            packages.c.package_id,
            packages.c.case_id,
            packages.c.panel,
            packages.c.district,
            start.label("start"),
            end.label("end"),
            lines.c.weekly_cost_pence.label("weekly"),
        )
        .join(lines, lines.c.period_id == packages.c.period_id)
        .where(*chosen)
        .cte("rows")
    )
    r = rows.c
    days = least(func.coalesce(r.end, z), z) - greatest(r.start, a) + 1
    spent = select(
        literal("spent"),
        r.panel,
        r.district,
        cast(
            func.sum(
                case((days > 0, func.round(cast(r.weekly, BigInteger) * days / 7.0)), else_=0)
            ),
            BigInteger,
        ),
        func.count(
            distinct(case(((r.start <= z) & (r.end.is_(None) | (r.end >= a)), r.package_id)))
        ),
        literal(0),
    ).group_by(r.panel, r.district)
    spans = (
        select(
            r.package_id,
            func.min(r.case_id).label("case_id"),
            func.min(r.panel).label("panel"),
            func.min(r.district).label("district"),
            func.min(r.start).label("start"),
            # open when any of its periods is
            case((func.count(r.end) < func.count(), None), else_=func.max(r.end)).label("end"),
        )
        .group_by(r.package_id)
        .cte("spans")
    )
    s = spans.c
    finish = least(func.coalesce(s.end, z), z)
    covers = (
        select(s.case_id, s.panel, s.district, avoided.c.outcome, s.start, finish.label("finish"))
        .add_columns(
            func.max(finish)
            .over(
                partition_by=(s.case_id, avoided.c.outcome),
                # UUIDs: the database's order of them is Python's
                order_by=(s.start, s.package_id),
                rows=(None, -1),
            )
            .label("reached")
        )
        .join(avoided, avoided.c.package_id == s.package_id)
        .cte("covers")
    )
    c = covers.c
    credited = select(
        c.case_id,
        c.panel,
        c.district,
        c.outcome,
        (c.finish - greatest(c.start, a, func.coalesce(c.reached, a - 1) + 1) + 1).label("days"),
    ).cte("credited")
    k = credited.c
    annual = cast(case(costs, value=k.outcome, else_=0) if costs else literal(0), BigInteger)
    worth = func.round(annual * k.days / 365.0)
    counted = [
        func.count(distinct(k.case_id)),
        cast(func.sum(k.days), BigInteger),
        cast(func.sum(worth), BigInteger),
    ]
    by_area = select(literal("area"), k.panel, k.district, *counted).group_by(k.panel, k.district)
    by_outcome = select(literal("outcome"), k.outcome, literal(""), *counted).group_by(k.outcome)
    # one statement: the rows and the covers are worked out once for all three sums
    found = union_all(spent, by_area.where(k.days > 0), by_outcome.where(k.days > 0))
    areas: dict[tuple[str, str], list[int]] = {}
    outcomes: list[OutcomeSavings] = []
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # sorted in memory, not in files on disk
            conn.execute(text("SET LOCAL work_mem = '64MB'"))
        for kind, name, district, x, y, z in conn.execute(found):
            if kind == "spent":  # package cost, packages active
                areas.setdefault((name, district), [0, 0, 0, 0, 0])[:2] = [int(x or 0), y]
            elif kind == "area":  # cases, days, worth
                areas.setdefault((name, district), [0, 0, 0, 0, 0])[2:] = [x, int(y), int(z)]
            else:
                outcomes.append(
                    OutcomeSavings(outcome=name, cases=x, days=int(y), cost_pence=int(z))
                )
    rows_out = [
        _row(panel, district, *figures)
        for (panel, district), figures in sorted(areas.items())
        if figures[1] or figures[0] or figures[3]
    ]
    outcomes.sort(key=lambda o: o["outcome"])
    return rows_out, outcomes, {o["outcome"] for o in outcomes} - set(costs)


def _row(
    panel: str, district: str, package_cost: int, active: int, cases: int, days: int, value: int
) -> SavingsRow:
    return SavingsRow(
        panel=panel,
        district=district,
        quadrant=QUADRANT_OF[District(district)].value,
        packages=active,
        cases=cases,
        avoided_days=days,
        avoided_cost_pence=value,
        package_cost_pence=package_cost,
        saving_pence=value - package_cost,
    )


def _report(
    first: date,
    last: date,
    costs: Mapping[str, int],
    rows: list[SavingsRow],
    outcomes: list[OutcomeSavings],
    unpriced: set[str],
    prevention: Prevention,
) -> SavingsReport:
    quadrants: dict[str, QuadrantSavings] = {}
    for r in rows:
        q = quadrants.setdefault(
            r["quadrant"],
            QuadrantSavings(
                quadrant=r["quadrant"], avoided_cost_pence=0, package_cost_pence=0, saving_pence=0
            ),
        )
        q["avoided_cost_pence"] += r["avoided_cost_pence"]
        q["package_cost_pence"] += r["package_cost_pence"]
        q["saving_pence"] += r["saving_pence"]
    avoided_cost = sum(r["avoided_cost_pence"] for r in rows)
    package_cost = sum(r["package_cost_pence"] for r in rows)
    saving = sum(r["saving_pence"] for r in rows)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "annual_cost_pence": dict(costs),
        "unpriced_outcomes": sorted(unpriced),
        "rows": rows,
        "quadrants": [quadrants[q] for q in sorted(quadrants)],
        "outcomes": outcomes,
        "avoided_cost_pence": avoided_cost,
        "package_cost_pence": package_cost,
        "saving_pence": saving,
        "summary": (
            f"£{saving / 100:,.0f} saved from {first} to {last}: "
            f"£{avoided_cost / 100:,.0f} avoided against "
            f"£{package_cost / 100:,.0f} of packages"
            + (f" ({', '.join(sorted(unpriced))} unpriced)" if unpriced else "")
        ),
        "prevention": prevention,
    }
