"""Read models and reports: spend (committed and to date) by financial year, panel,
district and provider; capacity use; what EARP and JAP packages save against the placements
they are alternatives to. CSV for each."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Column, Date, Float, Integer, MetaData, String, Table, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.commissioning.domain.aggregates import Package, Provider
from services.commissioning.domain.rules import committed_in_fy

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
            .values(status="decommissioned", ended_on=date.fromisoformat(e.effective_from))
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


def savings(engine: Engine, placement_annual_cost_pence: int) -> dict[str, Any]:
    """EARP and JAP packages are alternatives to care or an out-of-county placement: what they
    cost a year against what the placements they stand in for would have."""
    with Session(engine) as session:
        rows = session.execute(
            select(packages.c.panel, packages.c.weekly_cost_pence).where(
                packages.c.panel.in_(["earp", "jap"])
            )
        ).all()
    by_panel: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for panel, weekly in rows:
        by_panel[panel][0] += 1
        by_panel[panel][1] += weekly * 52
    out: list[dict[str, Any]] = []
    for panel, (count, annual) in sorted(by_panel.items()):
        avoided = count * placement_annual_cost_pence
        out.append(
            {
                "panel": panel,
                "packages": count,
                "package_cost_a_year_pence": annual,
                "avoided_placement_cost_a_year_pence": avoided,
                "saving_a_year_pence": avoided - annual,
                "saving_five_years_pence": 5 * (avoided - annual),
            }
        )
    total = sum(r["saving_a_year_pence"] for r in out)
    return {
        "placement_annual_cost_pence": placement_annual_cost_pence,
        "panels": out,
        "saving_a_year_pence": total,
        "saving_five_years_pence": 5 * total,
        "summary": f"£{total / 100:,.0f} a year; £{5 * total / 100:,.0f} over five years",
    }


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()
