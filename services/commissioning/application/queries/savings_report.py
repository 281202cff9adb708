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
    bytewise,
    day_number,
    day_of,
    greatest,
    least,
    rounded_quotient,
)
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


PREVENTION = "maag"  # its packages are counted apart, and only those that name an outcome


def _counted(
    engine: Engine, costs: Mapping[str, int], first: date, last: date
) -> dict[bool, tuple[list[SavingsRow], list[OutcomeSavings], set[str]]]:
    """The rows, outcomes and unpriced outcomes of the EARP and JAP packages (False) and of
    the MAAG packages that name an outcome, as one may (True; every EARP and JAP package
    must), each counted as if the other were not there.

    Added up in the database over day numbers (a year of a county is 100,000s of rows), in
    one statement for both: a line's cost is `rules.cost_between`, a cover's days
    `savings.avoided_days` (the covers of a case's outcome in order of start, each credited
    with the days after the last day any earlier one reached) and its worth `savings.worth`;
    a test holds each to its Python rule. No rounding tie can differ: a week's and a year's
    fractions are sevenths and 365ths, never a half (`rounded_quotient`)."""
    a, z = day_of(first), day_of(last)  # the first and last days' numbers
    start, end = day_number(packages.c.starts_on), day_number(packages.c.ended_on)
    days = least(func.coalesce(end, z), z) - greatest(start, a) + 1  # a line's, in the period
    weekly = cast(lines.c.weekly_cost_pence, BigInteger)
    # A package's periods share its case, panel and district (a recommission copies them),
    # so one row a package holds what the spend counts of its periods and its span: from its
    # first day to its last, open when any of its periods is.
    spans = (
        select(
            # compared byte by byte where they are sorted (UUIDs: in Python's order)
            bytewise(packages.c.package_id).label("package_id"),
            packages.c.panel,
            packages.c.district,
            (packages.c.panel == PREVENTION).label("prevention"),
            func.min(bytewise(packages.c.case_id)).label("case_id"),
            func.min(start).label("start"),
            # open when any of its periods is (as late as the period's last day)
            least(func.max(func.coalesce(end, z)), z).label("finish"),
            # none for a period that ends before the period or before it began
            func.sum(rounded_quotient(weekly * greatest(days, 0), 7, sign_of=weekly)).label("cost"),
            func.max(case(((start <= z) & (end.is_(None) | (end >= a)), 1), else_=0)).label(
                "active"
            ),
        )
        .join(lines, lines.c.period_id == packages.c.period_id)
        .where(
            packages.c.panel.in_(("earp", "jap"))
            | (
                (packages.c.panel == PREVENTION)
                & packages.c.package_id.in_(select(avoided.c.package_id))
            )
        )
        .group_by(packages.c.package_id, packages.c.panel, packages.c.district)
        .cte("spans")
    )
    s = spans.c
    spent = select(
        literal("spent"),
        s.panel,
        s.district,
        literal(False),
        cast(func.sum(s.cost), BigInteger),
        func.sum(s.active),
        literal(0),
    ).group_by(s.panel, s.district)

    # The last day reached by the earlier covers (by start, then package) of the same case
    # and outcome that have a day in the period. One that has none ends before the period or
    # before it began, so before any later one's first day: leaving it out changes no days.
    any_day = greatest(s.start, a) <= s.finish
    outcome = bytewise(avoided.c.outcome)
    covers = (
        select(
            s.prevention,
            s.case_id,
            s.panel,
            s.district,
            outcome.label("outcome"),
            s.start,
            s.finish,
            func.max(case((any_day, s.finish)))
            .over(
                partition_by=(s.case_id, outcome, s.prevention),
                order_by=(s.start, s.package_id),
                rows=(None, -1),
            )
            .label("reached"),
        )
        .join(avoided, avoided.c.package_id == s.package_id)
        .subquery("covers")
    )
    c = covers.c
    days = c.finish - greatest(c.start, a, func.coalesce(c.reached, a - 1) + 1) + 1
    # The first cover of a case's outcome with a day in the period (no earlier one has one)
    # is credited with some: counting those counts the outcome's cases, no count(DISTINCT).
    firsts = case((c.reached.is_(None) & (greatest(c.start, a) <= c.finish), 1), else_=0)
    annual = cast(case(costs, value=c.outcome, else_=0) if costs else literal(0), BigInteger)
    negative = any(cost < 0 for cost in costs.values())  # else the worth's sign is known
    credited = (
        select(
            c.prevention,
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
        .cte("credited")
    )
    k = credited.c
    # a case once in an area however many of its covers are there
    case_in_area = (
        select(
            k.panel, k.district, func.sum(k.days).label("days"), func.sum(k.worth).label("worth")
        )
        .group_by(k.panel, k.district, k.case_id)
        .subquery("case_in_area")
    )
    by_area = select(
        literal("area"),
        case_in_area.c.panel,
        case_in_area.c.district,
        literal(False),
        func.count(),
        cast(func.sum(case_in_area.c.days), BigInteger),
        cast(func.sum(case_in_area.c.worth), BigInteger),
    ).group_by(case_in_area.c.panel, case_in_area.c.district)
    by_outcome = select(
        literal("outcome"),
        k.outcome,
        literal(""),
        k.prevention,
        func.sum(k.first),
        cast(func.sum(k.days), BigInteger),
        cast(func.sum(k.worth), BigInteger),
    ).group_by(k.prevention, k.outcome)
    # one statement: the rows and the covers are worked out once for all three sums
    found = union_all(spent, by_area, by_outcome)
    areas: dict[tuple[str, str], list[int]] = {}
    outcomes: dict[bool, list[OutcomeSavings]] = {False: [], True: []}
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # sorted in memory, not in files on disk; and never compiled: over a county's
            # year compiling its many expressions (LLVM) takes longer than running them
            conn.execute(
                text("SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)")
            )
        for kind, name, district, prevention, x, y, z in conn.execute(found):
            if kind == "spent":  # package cost, packages active
                areas.setdefault((name, district), [0, 0, 0, 0, 0])[:2] = [int(x or 0), int(y)]
            elif kind == "area":  # cases, days, worth
                areas.setdefault((name, district), [0, 0, 0, 0, 0])[2:] = [
                    int(x),
                    int(y),
                    int(z),
                ]
            else:
                outcomes[bool(prevention)].append(
                    OutcomeSavings(outcome=name, cases=int(x), days=int(y), cost_pence=int(z))
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
