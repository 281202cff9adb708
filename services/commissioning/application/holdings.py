"""What the service holds that its use cases draw on, loaded through the unit of work: the
providers' directory (with each provider's free places) and the budgets a package is
charged to."""

from __future__ import annotations

from collections.abc import Sequence

from maag.runtime.store.unit_of_work import Work
from services.commissioning.domain.aggregates import (
    Budget,
    Provider,
    ProviderIndex,
    budget_uuid,
    provider_uuid,
)
from services.commissioning.domain.rules import CommissioningRefused, ProviderOffer
from services.commissioning.domain.values import Charge, RefusalReason


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


def budgets(work: Work, charges: Sequence[Charge], fy: int) -> list[Budget]:
    """The budget of each charge, or refused naming the one not set."""
    found = []
    for charge in charges:
        budget = work.find(budget_uuid(charge.budget, fy))
        if not isinstance(budget, Budget):
            raise CommissioningRefused(
                RefusalReason.NO_BUDGET,
                f"no budget is set for {charge.budget} in financial year {fy}/{fy + 1 - 2000}",
            )
        found.append(budget)
    return found
