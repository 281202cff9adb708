"""The savings report as it was counted row by row in Python, from the domain's rules
(`rules.cost_between`, `savings.avoided_days`, `savings.worth`): the oracle the report's
sums in the database are held to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contracts.reference import QUADRANT_OF, District
from services.commissioning.adapters.read_model import derive_savings
from services.commissioning.application.queries.savings_report import (
    OutcomeSavings,
    Prevention,
    SavingsReport,
    SavingsRow,
    _report,
)
from services.commissioning.application.tables import avoided, lines, packages
from services.commissioning.domain.rules import cost_between
from services.commissioning.domain.savings import Cover, avoided_days, worth


@dataclass
class _Period:
    """What the packages of one panel and district did within the period."""

    package_cost_pence: int = 0
    active: set[str] = field(default_factory=set)
    cases: set[str] = field(default_factory=set)
    avoided_days: int = 0
    avoided_cost_pence: int = 0


@dataclass
class _Outcome:
    cases: set[str] = field(default_factory=set)
    days: int = 0
    cost_pence: int = 0


def reference(engine: Engine, costs: Mapping[str, int], first: date, last: date) -> SavingsReport:
    alternatives = _counted(engine, costs, first, last, ("earp", "jap"))
    rows, by_outcome, unpriced = _counted(engine, costs, first, last, ("maag",), named_only=True)
    avoided_cost = sum(r["avoided_cost_pence"] for r in rows)
    package_cost = sum(r["package_cost_pence"] for r in rows)
    prevention = Prevention(
        rows=rows,
        outcomes=_outcomes(by_outcome),
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
    rows, by_outcome, unpriced = alternatives
    # the quadrants and totals summed from the rows as the report sums them
    return _report(first, last, costs, rows, _outcomes(by_outcome), unpriced, prevention)


def _counted(
    engine: Engine,
    costs: Mapping[str, int],
    first: date,
    last: date,
    panels: tuple[str, ...],
    named_only: bool = False,
) -> tuple[list[SavingsRow], dict[str, _Outcome], set[str]]:
    """The rows, outcomes and unpriced outcomes of the packages of `panels` (`named_only`:
    of those that name an outcome, as a MAAG package may; every EARP and JAP package must)."""
    named = select(avoided.c.package_id).distinct()
    only_named = [packages.c.package_id.in_(named)] if named_only else []
    with Session(engine) as session:
        periods = session.execute(
            select(
                packages.c.package_id,
                packages.c.case_id,
                packages.c.panel,
                packages.c.district,
                packages.c.starts_on,
                packages.c.ended_on,
                lines.c.weekly_cost_pence,
            )
            .join(lines, lines.c.period_id == packages.c.period_id)
            .where(packages.c.panel.in_(panels), *only_named)
        ).all()
        outcomes = session.execute(select(avoided.c.package_id, avoided.c.outcome)).all()
    place: dict[str, tuple[str, str, str]] = {}  # package -> (case, panel, district)
    spans: dict[str, list[date | None]] = {}  # package -> [first day, last day or None]
    areas: dict[tuple[str, str], _Period] = defaultdict(_Period)
    for package, case, panel, district, start, end, weekly in periods:
        place[package] = (case, panel, district)
        span = spans.setdefault(package, [start, end])
        span[0] = min(span[0] or start, start)
        if span[1] is not None:
            span[1] = None if end is None else max(span[1], end)
        area = areas[(panel, district)]
        area.package_cost_pence += cost_between(weekly, start, end, first, last)
        if start <= last and (end is None or end >= first):
            area.active.add(package)
    covers = [
        Cover(place[package][0], outcome, package, spans[package][0] or first, spans[package][1])
        for package, outcome in outcomes
        if package in place
    ]
    by_outcome: dict[str, _Outcome] = defaultdict(_Outcome)
    unpriced: set[str] = set()
    for cover, days in avoided_days(covers, first, last).items():
        if not days:
            continue
        _, panel, district = place[cover.package_id]
        value = worth(costs.get(cover.outcome, 0), days)
        if cover.outcome not in costs:
            unpriced.add(cover.outcome)
        area = areas[(panel, district)]
        area.cases.add(cover.case_id)
        area.avoided_days += days
        area.avoided_cost_pence += value
        seen = by_outcome[cover.outcome]
        seen.cases.add(cover.case_id)
        seen.days += days
        seen.cost_pence += value
    rows = [
        _row(panel, district, area)
        for (panel, district), area in sorted(areas.items())
        if area.active or area.package_cost_pence or area.avoided_days
    ]
    return rows, by_outcome, unpriced


def _row(panel: str, district: str, area: _Period) -> SavingsRow:
    return SavingsRow(
        panel=panel,
        district=district,
        quadrant=QUADRANT_OF[District(district)].value,
        packages=len(area.active),
        cases=len(area.cases),
        avoided_days=area.avoided_days,
        avoided_cost_pence=area.avoided_cost_pence,
        package_cost_pence=area.package_cost_pence,
        saving_pence=area.avoided_cost_pence - area.package_cost_pence,
    )


def _outcomes(by_outcome: Mapping[str, _Outcome]) -> list[OutcomeSavings]:
    return [
        OutcomeSavings(outcome=o, cases=len(s.cases), days=s.days, cost_pence=s.cost_pence)
        for o, s in sorted(by_outcome.items())
    ]


def fill(engine: Engine, seed: int, n: int = 300) -> None:
    """`n` packages of a few cases in the report's tables: recommissioned ones (periods),
    several lines, open and ended, ended before they began, outside the period, the same
    case's outcome covered by packages of other panels and districts, MAAG packages that
    name an outcome and ones that do not."""
    import random
    import uuid
    from datetime import timedelta

    from contracts.reference import AvoidedOutcome

    rng = random.Random(seed)
    cases = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(max(1, n // 4))]
    day0 = date(2026, 1, 1)
    periods, lines_, avoids = [], [], []
    for _ in range(n):
        pid = str(uuid.UUID(int=rng.getrandbits(128)))
        panel = rng.choice(["maag", "earp", "jap"])
        district = rng.choice(list(District)).value
        case = rng.choice(cases)
        starts = day0 + timedelta(days=rng.randrange(700))
        for p in range(rng.choice([1, 1, 1, 2, 3])):
            ended = (
                None
                if rng.random() < 0.4
                else starts + timedelta(days=rng.randrange(-20, 300))  # may end before it began
            )
            period = f"{pid}:{p + 1}"
            periods.append(
                {
                    "period_id": period,
                    "package_id": pid,
                    "case_id": case,
                    "panel": panel,
                    "panel_key": f"maag:{district}" if panel == "maag" else panel,
                    "district": district,
                    "fy": 2026,
                    "weekly_cost_pence": 0,
                    "starts_on": starts,
                    "ended_on": ended,
                    "status": "active" if ended is None else "decommissioned",
                }
            )
            for line in range(rng.choice([1, 1, 2, 3])):
                lines_.append(
                    {
                        "period_id": period,
                        "line": line,
                        "provider_id": "p",
                        "service": "s",
                        "units": 1.0,
                        "weekly_cost_pence": rng.randrange(1, 90_000),
                    }
                )
            starts = (ended or starts) + timedelta(days=rng.randrange(0, 60))
        if panel != "maag" or rng.random() < 0.5:
            for outcome in rng.sample(list(AvoidedOutcome), rng.choice([1, 1, 2])):
                avoids.append({"package_id": pid, "outcome": outcome.value})
    with engine.begin() as conn:
        conn.execute(packages.insert(), periods)
        conn.execute(lines.insert(), lines_)
        if avoids:
            conn.execute(avoided.insert(), avoids)
        derive_savings(conn)  # the report's rows, as the projection derives them
