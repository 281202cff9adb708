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

from sqlalchemy import (
    BigInteger,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Engine
from typing_extensions import TypedDict

from contracts.reference import QUADRANT_OF, District
from maag.runtime.follow.portable_sql import (
    day_of,
    greatest,
    least,
    rounded_quotient,
)
from maag.runtime.web.auth import Caller
from services.commissioning.application.queries import require_report_reader
from services.commissioning.application.tables import savings_covers, savings_periods


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
    counted = _counted(engine, costs, first, last)
    rows, by_outcome, unpriced = counted[True]
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
    return _report(first, last, costs, *counted[False], prevention)


ALTERNATIVES = ("earp", "jap")  # panels whose packages are alternatives to the outcomes
PREVENTION = "maag"  # its packages are counted apart, and only those that name an outcome


def _counted(
    engine: Engine, costs: Mapping[str, int], first: date, last: date
) -> dict[bool, tuple[list[SavingsRow], list[OutcomeSavings], set[str]]]:
    """The rows, outcomes and unpriced outcomes of the EARP and JAP packages (False) and of
    the MAAG packages that name an outcome, as one may (True; every EARP and JAP package
    must), each counted as if the other were not there.

    Added up in the database over day numbers (a year of a county is 100,000s of rows), in
    one statement for both, from the rows the projection derives for it (`savings_periods`,
    `savings_covers`): a period's cost is its lines' `rules.cost_between`, a cover's days
    `savings.avoided_days` (the covers of a case's outcome in order of start, each credited
    with the days after the last day any earlier one reached) and its worth `savings.worth`;
    a test holds each to its Python rule. No rounding tie can differ: a week's and a year's
    fractions are sevenths and 365ths, never a half (`rounded_quotient`)."""
    a, z = day_of(first), day_of(last)  # the first and last days' numbers
    p = savings_periods.c
    periods = select(
        p.panel,
        p.district,
        p.package_id,
        p.single,
        p.week_pence,
        *(p[f"part_{n}"] for n in range(1, 7)),
        # its days in the period (none or fewer: it ends before the period or before it began)
        (least(func.coalesce(p.end_day, z), z) - greatest(p.start_day, a) + 1).label("days"),
        ((p.start_day <= z) & (p.end_day.is_(None) | (p.end_day >= a))).label("active"),
    ).subquery("periods")
    r = periods.c
    part = case({n: r[f"part_{n}"] for n in range(1, 7)}, value=r.days % 7, else_=0)
    spent = select(
        literal("spent"),
        r.panel,
        r.district,
        literal(""),
        literal(0),
        cast(
            func.sum(case((r.days > 0, r.week_pence * (r.days // 7) + part), else_=0)), BigInteger
        ),
        # a package with one period is active as its period is; only the others' ids need
        # telling apart (below): no count(DISTINCT) here, so no sort of every period
        func.sum(case((r.single & r.active, 1), else_=0)),
        literal(0),
    ).group_by(r.panel, r.district)
    several = (
        select(
            literal("several"),
            r.panel,
            r.district,
            literal(""),
            literal(0),
            literal(0),
            func.count(func.distinct(r.package_id)),
            literal(0),
        )
        .where(~r.single & r.active)
        .group_by(r.panel, r.district)
    )

    # The last day reached by the earlier covers (by start, then package) of the same case
    # and outcome that have a day in the period. One that has none ends before the period or
    # before it began, so before any later one's first day: leaving it out changes no days.
    v = savings_covers.c
    finish = least(func.coalesce(v.end_day, z), z)
    covers = select(
        v.case_id,
        v.panel,
        v.district,
        v.outcome,
        v.start_day.label("start"),
        finish.label("finish"),
        func.max(case((greatest(v.start_day, a) <= finish, finish)))
        .over(
            # the table's index's order (its ids compare bytewise): read in order, no sort
            partition_by=(v.case_id, v.outcome, v.prevention),
            order_by=(v.start_day, v.package_id),
            rows=(None, -1),
        )
        .label("reached"),
    ).subquery("covers")
    c = covers.c
    days = c.finish - greatest(c.start, a, func.coalesce(c.reached, a - 1) + 1) + 1
    # The first cover of a case's outcome with a day in the period (no earlier one has one)
    # is credited with some: counting those counts the outcome's cases, no count(DISTINCT).
    firsts = case((c.reached.is_(None) & (greatest(c.start, a) <= c.finish), 1), else_=0)
    annual = cast(case(costs, value=c.outcome, else_=0) if costs else literal(0), BigInteger)
    negative = any(cost < 0 for cost in costs.values())  # else the worth's sign is known
    credited = (
        select(
            c.case_id,
            c.panel,
            c.district,
            c.outcome,
            days.label("days"),
            firsts.label("first"),
            rounded_quotient(
                annual * days, 365, sign_of=annual if negative else literal_column("0")
            ).label("worth"),
        )
        .where(days > 0)
        .subquery("credited")
    )
    k = credited.c
    # a case once in an area however many of its covers are there: its first credited one
    # there (a window on the covers' order, which starts with the case: no hashing of cases)
    case_in_area = case(
        (func.row_number().over(partition_by=(k.case_id, k.panel, k.district)) == 1, 1),
        else_=0,
    )
    marked = select(credited, case_in_area.label("case_in_area")).subquery("marked")
    m = marked.c
    # by area and outcome at once, added up into areas and outcomes below: the credited
    # covers are read once, not kept for a second pass
    by_area_and_outcome = select(
        literal("credited"),
        m.panel,
        m.district,
        m.outcome,
        func.sum(m.case_in_area),
        func.sum(m.first),
        cast(func.sum(m.days), BigInteger),
        cast(func.sum(m.worth), BigInteger),
    ).group_by(m.panel, m.district, m.outcome)
    # one statement: the periods and the covers are read once for both sums
    found = union_all(spent, several, by_area_and_outcome)
    areas: dict[tuple[str, str], list[int]] = {}
    by_outcome: dict[tuple[bool, str], list[int]] = {}
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # sorted in memory, not in files on disk; and never compiled: over a county's
            # year compiling its many expressions (LLVM) takes longer than running them
            conn.execute(
                text("SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)")
            )
        for kind, panel, district, name, w, x, y, z in conn.execute(found):
            area = areas.setdefault((panel, district), [0, 0, 0, 0, 0])
            if kind == "spent":  # package cost, packages active (with one period)
                area[:2] = [area[0] + int(x or 0), area[1] + int(y)]
                continue
            if kind == "several":  # packages active (with several periods)
                area[1] += int(y)
                continue
            # cases, days, worth: the area's, and its outcome's (cases counted per outcome)
            area[2:] = [area[2] + int(w), area[3] + int(y), area[4] + int(z)]
            sums = by_outcome.setdefault((panel == PREVENTION, name), [0, 0, 0])
            sums[:] = [sums[0] + int(x), sums[1] + int(y), sums[2] + int(z)]
    outcomes: dict[bool, list[OutcomeSavings]] = {False: [], True: []}
    for (prevention, name), (cases, total, worth) in by_outcome.items():
        outcomes[prevention].append(
            OutcomeSavings(outcome=name, cases=cases, days=total, cost_pence=worth)
        )
    counted = {}
    for kept in (False, True):
        rows_out = [
            _row(panel, district, *figures)
            for (panel, district), figures in sorted(areas.items())
            if (panel == PREVENTION) == kept and (figures[1] or figures[0] or figures[3])
        ]
        found_outcomes = sorted(outcomes[kept], key=lambda o: o["outcome"])
        counted[kept] = (
            rows_out,
            found_outcomes,
            {o["outcome"] for o in found_outcomes} - set(costs),
        )
    return counted


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
