"""Read models and reports: spend (committed and to date) by financial year, panel,
district and provider; capacity use; what EARP and JAP packages save against the outcomes
they are alternatives to, over a period. CSV for each."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Column, Date, Float, Integer, MetaData, String, Table, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contracts.reference import QUADRANT_OF, District
from services.commissioning.domain.aggregates import Package, Provider
from services.commissioning.domain.rules import committed_in_fy, cost_between
from services.commissioning.domain.savings import Cover, avoided_days, worth

metadata = MetaData()

packages = Table(
    "comm_packages",
    metadata,
    # One row per period of a package with the same lines: a recommission starts a new one.
    Column("period_id", String(60), primary_key=True),
    Column("package_id", String(36), nullable=False, index=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("panel", String(10), nullable=False),
    Column("panel_key", String(60), nullable=False),
    Column("district", String(50), nullable=False),
    Column("fy", Integer, nullable=False, index=True),
    Column("weekly_cost_pence", Integer, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ended_on", Date),
    Column("status", String(20), nullable=False),
)
lines = Table(
    "comm_lines",
    metadata,
    Column("period_id", String(60), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("provider_id", String(100), nullable=False, index=True),
    Column("service", String(200), nullable=False),
    Column("units", Float, nullable=False),
    Column("weekly_cost_pence", Integer, nullable=False),
)
# What each package is an alternative to (EARP and JAP packages name at least one).
avoided = Table(
    "comm_avoided",
    metadata,
    Column("package_id", String(36), primary_key=True),
    Column("outcome", String(40), primary_key=True),
)
providers = Table(
    "comm_providers",
    metadata,
    Column("provider_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("weekly_capacity", Float, nullable=False),
)
reservations = Table(
    "comm_reservations",
    metadata,
    Column("provider_id", String(100), primary_key=True),
    Column("package_id", String(36), primary_key=True),
    Column("units", Float, nullable=False),
)


def project(e: Any, session: Session) -> None:
    if isinstance(e, Package.Commissioned):
        _period(session, e, e.panel_key, e.district, e.fy, str(e.case_id))
        for outcome in e.alternative_to:
            session.execute(
                avoided.insert().values(package_id=str(e.originator_id), outcome=outcome)
            )
    elif isinstance(e, Package.Recommissioned):
        current = session.execute(select(packages).where(_open(e))).mappings().one()
        session.execute(
            update(packages)
            .where(_open(e))
            .values(
                status="recommissioned",
                ended_on=date.fromisoformat(e.starts_on) - timedelta(days=1),
            )
        )
        _period(
            session, e, current["panel_key"], current["district"], current["fy"], current["case_id"]
        )
    elif isinstance(e, Package.Decommissioned):
        session.execute(
            update(packages)
            .where(_open(e))
            # its last day is the one before it stops: what its budget paid for
            .values(
                status="decommissioned",
                ended_on=date.fromisoformat(e.effective_from) - timedelta(days=1),
            )
        )
    elif isinstance(e, Provider.Registered):
        session.execute(
            providers.insert().values(
                provider_id=e.provider_id, name=e.name, weekly_capacity=e.weekly_capacity
            )
        )
    elif isinstance(e, Provider.CapacityChanged | Provider.Reserved | Provider.Released):
        pid = _provider_id(session, e)
        if isinstance(e, Provider.CapacityChanged):
            session.execute(
                update(providers)
                .where(providers.c.provider_id == pid)
                .values(weekly_capacity=e.weekly_capacity)
            )
        elif (
            isinstance(e, Provider.Reserved)
            and (
                held := session.execute(
                    select(reservations.c.units).where(
                        (reservations.c.provider_id == pid)
                        & (reservations.c.package_id == str(e.package_id))
                    )
                ).scalar()
            )
            is not None
        ):
            session.execute(
                update(reservations)
                .where(
                    (reservations.c.provider_id == pid)
                    & (reservations.c.package_id == str(e.package_id))
                )
                .values(units=held + e.units)
            )
        elif isinstance(e, Provider.Reserved):
            session.execute(
                reservations.insert().values(
                    provider_id=pid, package_id=str(e.package_id), units=e.units
                )
            )
        else:
            session.execute(
                delete(reservations).where(
                    (reservations.c.provider_id == pid)
                    & (reservations.c.package_id == str(e.package_id))
                )
            )


def _open(e: Any) -> Any:
    return (packages.c.package_id == str(e.originator_id)) & packages.c.ended_on.is_(None)


def _period(session: Session, e: Any, panel_key: str, district: str, fy: int, case_id: str) -> None:
    period = f"{e.originator_id}:{e.originator_version}"
    session.execute(
        packages.insert().values(
            period_id=period,
            package_id=str(e.originator_id),
            case_id=case_id,
            panel=e.panel,
            panel_key=panel_key,
            district=district,
            fy=fy,
            weekly_cost_pence=e.weekly_cost_pence,
            starts_on=date.fromisoformat(e.starts_on),
            status="active",
        )
    )
    for n, line in enumerate(e.lines):
        session.execute(
            lines.insert().values(
                period_id=period,
                line=n,
                provider_id=line["provider_id"],
                service=line["service"],
                units=line["units"],
                weekly_cost_pence=line["weekly_cost_pence"],
            )
        )


def _provider_id(session: Session, e: Any) -> str:
    from services.commissioning.domain.aggregates import provider_uuid

    for (pid,) in session.execute(select(providers.c.provider_id)):
        if provider_uuid(pid) == e.originator_id:
            return str(pid)
    raise LookupError(f"no provider with aggregate id {e.originator_id}")


def spend(engine: Engine, today: date, fy: int | None = None) -> list[dict[str, Any]]:
    """Committed (to the year's end or the package's end) and to date, in pence."""
    query = select(
        packages.c.fy,
        packages.c.panel_key,
        packages.c.district,
        lines.c.provider_id,
        lines.c.weekly_cost_pence,
        packages.c.starts_on,
        packages.c.ended_on,
    ).join(lines, lines.c.period_id == packages.c.period_id)
    if fy is not None:
        query = query.where(packages.c.fy == fy)
    totals: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    with Session(engine) as session:
        for y, key, district, provider, weekly, start, end in session.execute(query):
            row = totals[(y, key, district, provider)]
            row[0] += committed_in_fy(weekly, start, end, y)
            row[1] += (
                committed_in_fy(weekly, start, min(end or today, today), y) if start <= today else 0
            )
            row[2] += 1
    return [
        {
            "financial_year": f"{y}/{(y + 1) % 100:02d}",
            "panel": key,
            "district": district,
            "provider_id": provider,
            "committed_pence": c,
            "to_date_pence": t,
            "lines": n,
        }
        for (y, key, district, provider), (c, t, n) in sorted(totals.items())
    ]


def capacity(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        totals: dict[str, float] = defaultdict(float)
        for pid, units in session.execute(select(reservations.c.provider_id, reservations.c.units)):
            totals[pid] += units
        rows = session.execute(select(providers).order_by(providers.c.provider_id)).mappings()
        return [
            {
                "provider_id": r["provider_id"],
                "name": r["name"],
                "weekly_capacity": r["weekly_capacity"],
                "used": totals[r["provider_id"]],
                "free": r["weekly_capacity"] - totals[r["provider_id"]],
                "use_percent": round(100 * totals[r["provider_id"]] / r["weekly_capacity"], 1)
                if r["weekly_capacity"]
                else 0.0,
            }
            for r in rows
        ]


def savings(engine: Engine, costs: dict[str, int], first: date, last: date) -> dict[str, Any]:
    """What EARP and JAP packages active between `first` and `last` cost, against the
    outcomes they are alternatives to: each outcome of a case counted once a day while a
    package for it is active, at its annual cost (`costs`, pence). By panel and district
    (with its quadrant), by quadrant and by outcome. A package's cost is what the spend
    report counts for the same days, line by line."""
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
            .where(packages.c.panel.in_(["earp", "jap"]))
        ).all()
        outcomes = session.execute(select(avoided.c.package_id, avoided.c.outcome)).all()
    place: dict[str, tuple[str, str, str]] = {}  # package -> (case, panel, district)
    spans: dict[str, list[date | None]] = {}  # package -> [first day, last day or None]
    cost: dict[tuple[str, str], int] = defaultdict(int)
    active: dict[tuple[str, str], set[str]] = defaultdict(set)
    for package, case, panel, district, start, end, weekly in periods:
        place[package] = (case, panel, district)
        span = spans.setdefault(package, [start, end])
        span[0] = min(span[0] or start, start)
        if span[1] is not None:
            span[1] = None if end is None else max(span[1], end)
        cost[(panel, district)] += cost_between(weekly, start, end, first, last)
        if start <= last and (end is None or end >= first):
            active[(panel, district)].add(package)
    covers = [
        Cover(place[package][0], outcome, package, spans[package][0] or first, spans[package][1])
        for package, outcome in outcomes
        if package in place
    ]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    by_outcome: dict[str, dict[str, Any]] = {}
    unpriced: set[str] = set()

    def row(panel: str, district: str) -> dict[str, Any]:
        return rows.setdefault(
            (panel, district),
            {
                "panel": panel,
                "district": district,
                "quadrant": QUADRANT_OF[District(district)].value,
                "packages": len(active[(panel, district)]),
                "cases": set(),
                "avoided_days": 0,
                "avoided_cost_pence": 0,
                "package_cost_pence": cost[(panel, district)],
            },
        )

    for cover, days in avoided_days(covers, first, last).items():
        if not days:
            continue
        _, panel, district = place[cover.package_id]
        value = worth(costs.get(cover.outcome, 0), days)
        if cover.outcome not in costs:
            unpriced.add(cover.outcome)
        r = row(panel, district)
        r["cases"].add(cover.case_id)
        r["avoided_days"] += days
        r["avoided_cost_pence"] += value
        o = by_outcome.setdefault(
            cover.outcome,
            {"outcome": cover.outcome, "cases": set(), "days": 0, "cost_pence": 0},
        )
        o["cases"].add(cover.case_id)
        o["days"] += days
        o["cost_pence"] += value
    for panel, district in cost:
        if active[(panel, district)] or cost[(panel, district)]:
            row(panel, district)
    out = []
    for key in sorted(rows):
        r = rows[key]
        r["cases"] = len(r["cases"])
        r["saving_pence"] = r["avoided_cost_pence"] - r["package_cost_pence"]
        out.append(r)
    quadrants: dict[str, dict[str, int]] = {}
    for r in out:
        q = quadrants.setdefault(
            r["quadrant"], {"avoided_cost_pence": 0, "package_cost_pence": 0, "saving_pence": 0}
        )
        for field in q:
            q[field] += r[field]
    total = {
        field: sum(r[field] for r in out)
        for field in ("avoided_cost_pence", "package_cost_pence", "saving_pence")
    }
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "annual_cost_pence": costs,
        "unpriced_outcomes": sorted(unpriced),
        "rows": out,
        "quadrants": [{"quadrant": q, **v} for q, v in sorted(quadrants.items())],
        "outcomes": [{**o, "cases": len(o["cases"])} for _, o in sorted(by_outcome.items())],
        **total,
        "summary": (
            f"£{total['saving_pence'] / 100:,.0f} saved from {first} to {last}: "
            f"£{total['avoided_cost_pence'] / 100:,.0f} avoided against "
            f"£{total['package_cost_pence'] / 100:,.0f} of packages"
            + (f" ({', '.join(sorted(unpriced))} unpriced)" if unpriced else "")
        ),
    }


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()
