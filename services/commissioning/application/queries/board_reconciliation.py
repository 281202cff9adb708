"""The boards' projection held against the commissioning service's own record: each
district's packages, as each counts them. A difference that lasts means something lost or
doubled on the way from the topics (a moment's difference is the feed catching up)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from maag.runtime.web.auth import Caller
from services.commissioning.application.queries import require_report_reader
from services.commissioning.application.queries.board_report import load
from services.commissioning.application.tables import packages


class Counted(TypedDict):
    boards: int
    commissioning: int


class Reconciliation(TypedDict):
    packages_by_district: dict[str, Counted]
    agree: bool


def board_reconciliation(caller: Caller, engine: Engine) -> Reconciliation:
    require_report_reader(caller)
    return reconcile(engine)


def reconcile(engine: Engine) -> Reconciliation:
    found, known = load(engine)
    district_of = {c.case_id: c.district for c in found}
    boards: dict[str, set[str]] = {}
    for f in known:
        if f.kind == "commissioned":
            district = district_of.get(f.case_id, "(case not yet known)")
            boards.setdefault(district, set()).add(f.detail["package_id"])
    with Session(engine) as session:
        rows = session.execute(select(packages.c.district, packages.c.package_id)).all()
    commissioning: dict[str, set[str]] = {}
    for district, package_id in rows:
        commissioning.setdefault(district, set()).add(package_id)
    by_district = {
        d: Counted(boards=len(boards.get(d, ())), commissioning=len(commissioning.get(d, ())))
        for d in sorted(set(boards) | set(commissioning))
    }
    return Reconciliation(
        packages_by_district=by_district,
        agree=all(v["boards"] == v["commissioning"] for v in by_district.values()),
    )
