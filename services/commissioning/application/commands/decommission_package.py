"""Stop one package from a date: its places go back to its providers and what it would
have spent from then on goes back to each budget it is charged to. A step of a review
(`review_package`) and of a case's closing (`decommission_case`)."""

from __future__ import annotations

from datetime import date

from contracts.events.commissioning import DecommissionReason
from maag.runtime.store.unit_of_work import Work
from services.commissioning.domain.aggregates import (
    Budget,
    Package,
    Provider,
    budget_uuid,
    provider_uuid,
)
from services.commissioning.domain.rules import shares


def decommission_package(
    work: Work, package: Package, reason: DecommissionReason, effective_from: date
) -> bool:
    """Whether it was stopped (False: it had ended already)."""
    _, released = package.stopped(effective_from)
    if not package.decommission(reason, effective_from, released):
        return False
    for provider_id in package.provider_ids:
        provider = work.find(provider_uuid(provider_id))
        if isinstance(provider, Provider):
            provider.release(package.id)
            work.add(provider)
    for charge, share in zip(package.charges, shares(released, package.charges), strict=True):
        budget = work.find(budget_uuid(charge.budget, package.fy))
        if isinstance(budget, Budget):
            budget.release(package.id, share)
            work.add(budget)
    work.add(package)
    return True
