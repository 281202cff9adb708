"""Stop one package from a date: its places go back to its providers, and each year's
budgets it is held in (from that date's year on) keep only what it spent before then. A step
of a review (`review_package`) and of a case's closing (`decommission_case`)."""

from __future__ import annotations

from datetime import date

from contracts.events.commissioning import DecommissionReason
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.holdings import hold, holdings
from services.commissioning.domain.aggregates import Package, Provider, provider_uuid


def decommission_package(
    work: Work, package: Package, reason: DecommissionReason, effective_from: date, today: date
) -> bool:
    """Whether it was stopped (False: it had ended already)."""
    if not package.active:
        return False
    held = holdings(
        work,
        package.id,
        package.charges,
        lambda fy: package.cost_in(fy, stops_on=effective_from),
        effective_from,
        today,
    )  # only less than before: never refused
    package.decommission(reason, effective_from, hold(work, package.id, held))
    for provider_id in package.provider_ids:
        provider = work.find(provider_uuid(provider_id))
        if isinstance(provider, Provider):
            provider.release(package.id)
            work.add(provider)
    work.add(package)
    return True
