"""The reports' projection: each of the service's own events that the reports count, to
the rows it changes (`application/tables.py`; the queries in `application/queries/` read
them). One function per event class, found in a table; the savings report's rows are
derived from a package's rows wherever those change (`derive_savings`)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session

from maag.runtime.follow.portable_sql import day_number, rounded_quotient
from services.commissioning.application.queries.savings_report import ALTERNATIVES, PREVENTION
from services.commissioning.application.tables import (
    avoided,
    lines,
    packages,
    providers,
    reservations,
    savings_covers,
    savings_periods,
)
from services.commissioning.domain.aggregates import Package, Provider, provider_uuid


def project(e: Any, session: Session) -> None:
    found = PROJECT.get(type(e))
    if found is not None:
        found(e, session)


def _commissioned(e: Package.Commissioned, session: Session) -> None:
    _period(session, e, e.panel_key, e.district, e.fy, str(e.case_id))
    for outcome in e.alternative_to:
        session.execute(avoided.insert().values(package_id=str(e.originator_id), outcome=outcome))
    derive_savings(session, [str(e.originator_id)])


def _recommissioned(e: Package.Recommissioned, session: Session) -> None:
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
    derive_savings(session, [str(e.originator_id)])


def _decommissioned(e: Package.Decommissioned, session: Session) -> None:
    # its last day is the one before it stops: what its budget paid for
    last = date.fromisoformat(e.effective_from) - timedelta(days=1)
    session.execute(update(packages).where(_open(e)).values(status="decommissioned", ended_on=last))
    # a period a recommission had closed after that day ends on it too (stopped before the
    # change took effect): nothing after it is spent, as nothing is held
    session.execute(
        update(packages)
        .where((packages.c.package_id == str(e.originator_id)) & (packages.c.ended_on > last))
        .values(ended_on=last)
    )
    derive_savings(session, [str(e.originator_id)])


def derive_savings(db: Session | Connection, package_ids: Collection[str] | None = None) -> None:
    """The savings report's rows (`savings_periods`, `savings_covers`) of these packages (all
    of them: None) worked out again from their periods', lines' and outcomes' rows, in the
    caller's transaction: the projection calls it wherever it writes those, and so must
    anything else that fills them (a bench, a test)."""
    of_these: list[ColumnElement[bool]] = []
    if package_ids is not None:
        of_these = [packages.c.package_id.in_(package_ids)]
        db.execute(delete(savings_periods).where(savings_periods.c.package_id.in_(package_ids)))
        db.execute(delete(savings_covers).where(savings_covers.c.package_id.in_(package_ids)))
    else:
        db.execute(delete(savings_periods))
        db.execute(delete(savings_covers))
    counted = packages.c.panel.in_(ALTERNATIVES) | (
        (packages.c.panel == PREVENTION) & packages.c.package_id.in_(select(avoided.c.package_id))
    )
    periods = (
        select(packages, func.count().over(partition_by=packages.c.package_id).label("periods"))
        .where(counted, *of_these)
        .subquery("periods")
    )
    p = periods.c
    weekly = cast(lines.c.weekly_cost_pence, BigInteger)
    db.execute(
        insert(savings_periods).from_select(
            [c.name for c in savings_periods.columns],
            select(
                p.period_id,
                p.package_id,
                p.panel,
                p.district,
                day_number(p.starts_on),
                day_number(p.ended_on),
                p.periods == 1,
                func.sum(weekly),
                # each line rounded as `rules.cost_between` rounds its days' cost; a whole
                # week's is whole, so d days cost `week_pence * (d // 7)` and the part of d % 7
                *(func.sum(rounded_quotient(weekly * n, 7, sign_of=weekly)) for n in range(1, 7)),
            )
            .join(lines, lines.c.period_id == p.period_id)
            .group_by(p.period_id, p.package_id, p.panel, p.district, p.starts_on, p.ended_on)
            .group_by(p.periods),
        )
    )
    # a package's periods share its case, panel and district (a recommission copies them)
    spans = (
        select(
            packages.c.package_id,
            func.min(packages.c.case_id).label("case_id"),
            packages.c.panel,
            packages.c.district,
            func.min(day_number(packages.c.starts_on)).label("start_day"),
            # open when any of its periods is
            case(
                (func.count(packages.c.ended_on) < func.count(), null()),
                else_=func.max(day_number(packages.c.ended_on)),
            ).label("end_day"),
        )
        .where(
            packages.c.panel.in_((*ALTERNATIVES, PREVENTION)),
            exists().where(lines.c.period_id == packages.c.period_id),
            *of_these,
        )
        .group_by(packages.c.package_id, packages.c.panel, packages.c.district)
        .subquery("spans")
    )
    s = spans.c
    db.execute(
        insert(savings_covers).from_select(
            [c.name for c in savings_covers.columns],
            select(
                s.package_id,
                avoided.c.outcome,
                s.case_id,
                s.panel == PREVENTION,
                s.panel,
                s.district,
                s.start_day,
                s.end_day,
            ).join(avoided, avoided.c.package_id == s.package_id),
        )
    )


def _registered(e: Provider.Registered, session: Session) -> None:
    session.execute(
        providers.insert().values(
            provider_id=e.provider_id, name=e.name, weekly_capacity=e.weekly_capacity
        )
    )


def _capacity_changed(e: Provider.CapacityChanged, session: Session) -> None:
    session.execute(
        update(providers)
        .where(providers.c.provider_id == _provider_id(session, e))
        .values(weekly_capacity=e.weekly_capacity)
    )


def _reserved(e: Provider.Reserved, session: Session) -> None:
    pid = _provider_id(session, e)
    held = _held(pid, e)
    units = session.execute(select(reservations.c.units).where(held)).scalar()
    if units is None:
        session.execute(
            reservations.insert().values(
                provider_id=pid, package_id=str(e.package_id), units=e.units
            )
        )
    else:
        session.execute(update(reservations).where(held).values(units=units + e.units))


def _released(e: Provider.Released, session: Session) -> None:
    session.execute(delete(reservations).where(_held(_provider_id(session, e), e)))


PROJECT: dict[type[Any], Callable[[Any, Session], None]] = {
    Package.Commissioned: _commissioned,
    Package.Recommissioned: _recommissioned,
    Package.Decommissioned: _decommissioned,
    Provider.Registered: _registered,
    Provider.CapacityChanged: _capacity_changed,
    Provider.Reserved: _reserved,
    Provider.Released: _released,
}


def _open(e: Package.Recommissioned | Package.Decommissioned) -> ColumnElement[bool]:
    return (packages.c.package_id == str(e.originator_id)) & packages.c.ended_on.is_(None)


def _held(pid: str, e: Provider.Reserved | Provider.Released) -> ColumnElement[bool]:
    return (reservations.c.provider_id == pid) & (reservations.c.package_id == str(e.package_id))


def _period(
    session: Session,
    e: Package.Commissioned | Package.Recommissioned,
    panel_key: str,
    district: str,
    fy: int,
    case_id: str,
) -> None:
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


def _provider_id(
    session: Session, e: Provider.CapacityChanged | Provider.Reserved | Provider.Released
) -> str:
    """The directory's id of the provider an event is of (its aggregate id is made from it)."""
    for (pid,) in session.execute(select(providers.c.provider_id)):
        if provider_uuid(pid) == e.originator_id:
            return str(pid)
    raise LookupError(f"no provider with aggregate id {e.originator_id}")
