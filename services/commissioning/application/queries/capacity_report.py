"""Each provider's weekly capacity and how much of it packages use."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from maag.runtime.web.auth import Caller
from services.commissioning.application.queries import require_report_reader
from services.commissioning.application.tables import providers, reservations


class CapacityRow(TypedDict):
    provider_id: str
    name: str
    weekly_capacity: float
    used: float
    free: float
    use_percent: float


def capacity_report(caller: Caller, engine: Engine) -> list[CapacityRow]:
    require_report_reader(caller)
    return capacity(engine)


def capacity(engine: Engine) -> list[CapacityRow]:
    with Session(engine) as session:
        used: dict[str, float] = defaultdict(float)
        for pid, units in session.execute(select(reservations.c.provider_id, reservations.c.units)):
            used[pid] += units
        rows = session.execute(select(providers).order_by(providers.c.provider_id)).mappings()
        return [
            CapacityRow(
                provider_id=r["provider_id"],
                name=r["name"],
                weekly_capacity=r["weekly_capacity"],
                used=used[r["provider_id"]],
                free=r["weekly_capacity"] - used[r["provider_id"]],
                use_percent=round(100 * used[r["provider_id"]] / r["weekly_capacity"], 1)
                if r["weekly_capacity"]
                else 0.0,
            )
            for r in rows
        ]
