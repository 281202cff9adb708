"""What the service holds that its use cases draw on, loaded through the unit of work: the
providers' directory (with each provider's free places) and the budgets a package is held
in, year by year."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from contracts.reference import financial_year, fy_label
from maag.runtime.store.unit_of_work import Work
from services.commissioning.domain.aggregates import (
    Budget,
    Package,
    Provider,
    ProviderIndex,
    budget_uuid,
    provider_uuid,
)
from services.commissioning.domain.rules import (
    CommissioningRefused,
    ProviderOffer,
    budget_years,
    shares,
)
from services.commissioning.domain.values import Charge, RefusalReason

# How far back a new year's budget looks for the packages it takes on: to the nearest
# earlier year whose budget was set, never further than this.
CARRY_BACK_YEARS = 10


def providers(work: Work) -> list[Provider]:
    """Every registered provider, in the order they were registered."""
    index = work.find(ProviderIndex.ID)
    ids = index.provider_ids if isinstance(index, ProviderIndex) else []
    return [p for pid in ids if isinstance(p := work.find(provider_uuid(pid)), Provider)]


def offers(work: Work) -> list[ProviderOffer]:
    """What each provider offers now: its services, districts, free places and unit cost."""
    return [
        ProviderOffer(
            p.provider_id, frozenset(p.services), frozenset(p.districts), p.free, p.unit_cost_pence
        )
        for p in providers(work)
    ]


@dataclass(frozen=True)
class Holding:
    """What one budget is to hold for a package: its share of the package's cost that year."""

    budget: Budget
    pence: int


def holdings(
    work: Work,
    package_id: UUID,
    charges: Sequence[Charge],
    cost_in: Callable[[int], int],
    first_day: date,
    today: date,
    *,
    first_year_set: bool = False,
) -> list[Holding]:
    """Each budget the package is charged to, in each year from `first_day`'s on that has
    one set, with its share of what the package costs that year: checked, changing nothing.
    Refused (with the figures) where a budget has no room for its share; with
    `first_year_set`, refused too when the first year's budget is not set."""
    found = []
    years = budget_years(first_day, today)
    if first_year_set and financial_year(first_day) not in years:
        start = financial_year(first_day)
        raise CommissioningRefused(
            RefusalReason.NO_BUDGET,
            f"starts_on: no budget may be set yet for {fy_label(start)} (the year it starts)",
        )
    for fy in years:
        for charge, pence in zip(charges, shares(cost_in(fy), charges), strict=True):
            budget = work.find(budget_uuid(charge.budget, fy))
            if isinstance(budget, Budget):
                budget.require_room(package_id, pence)
                found.append(Holding(budget, pence))
            elif first_year_set and fy == financial_year(first_day):
                raise CommissioningRefused(
                    RefusalReason.NO_BUDGET,
                    f"no budget is set for {charge.budget} in financial year {fy_label(fy)}",
                )
    return found


def hold(work: Work, package_id: UUID, found: Sequence[Holding]) -> int:
    """Each budget made to hold exactly its share; what they give back in all."""
    released = 0
    for h in found:
        released += max(0, h.budget.holds(package_id) - h.pence)
        h.budget.hold(package_id, h.pence)
        work.add(h.budget)
    return released


def carried_into(work: Work, key: str, fy: int) -> list[Package]:
    """The packages a new budget for `key` in `fy` takes on: those the nearest earlier
    year's budget holds that still run, and cost something, in `fy`. That budget is marked
    as carried from (`Budget.carry`): a package committed to it at the same moment makes
    one of the two writes conflict, never a package the new year misses."""
    for earlier in range(fy - 1, fy - 1 - CARRY_BACK_YEARS, -1):
        budget = work.find(budget_uuid(key, earlier))
        if isinstance(budget, Budget):
            budget.carry(fy)
            work.add(budget)
            return [
                p
                for package_id in budget.commitments
                if isinstance(p := work.find(package_id), Package) and p.cost_in(fy) > 0
            ]
    return []
