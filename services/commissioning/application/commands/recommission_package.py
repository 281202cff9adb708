"""Change one package from a date, as its review decided: its own places count as free,
the rest of its money goes back before the new lines are paid for; refused as a whole or
done as a whole. A step of a review (`review_package`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.holdings import budgets, offers
from services.commissioning.domain.aggregates import Package, Provider, provider_uuid
from services.commissioning.domain.rules import (
    allocate,
    committed_in_fy,
    own_places,
    require_affordable,
    shares,
    with_own_places,
)
from services.commissioning.domain.values import Intervention


def recommission_package(
    work: Work, package: Package, interventions: Sequence[Intervention], effective_from: date
) -> None:
    own = own_places(package.lines)
    lines = allocate(interventions, with_own_places(offers(work), own), package.district)
    weekly = sum(line.weekly_cost_pence for line in lines)
    spent, released = package.stopped(effective_from)
    new_commitment = committed_in_fy(weekly, effective_from, None, package.fy)
    charged = budgets(work, package.charges, package.fy)
    returning = shares(released, package.charges)
    needed = shares(new_commitment, package.charges)
    for budget, back, need in zip(charged, returning, needed, strict=True):
        require_affordable(need, budget.left, back, budget.panel_key)
    for provider_id in own:
        work.get_as(provider_uuid(provider_id), Provider, "provider").release(package.id)
    for line in lines:
        provider = work.get_as(provider_uuid(line.provider_id), Provider, "provider")
        provider.reserve(package.id, line.units)
    for budget, back, need in zip(charged, returning, needed, strict=True):
        budget.release(package.id, back)
        budget.commit(package.id, need)
    package.recommission(lines, effective_from, spent + new_commitment, released)
    work.add(package, *charged)
