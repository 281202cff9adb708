"""Change one package from a date, as its review decided: its own places count as free,
and each year's budgets it is held in (from the change's year on) hold what it then costs
there; refused as a whole or done as a whole. A step of a review (`review_package`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.holdings import hold, holdings, offers
from services.commissioning.domain.aggregates import Package, Provider, provider_uuid
from services.commissioning.domain.rules import Run, allocate, own_places, with_own_places
from services.commissioning.domain.values import Intervention


def recommission_package(
    work: Work,
    package: Package,
    interventions: Sequence[Intervention],
    effective_from: date,
    today: date,
) -> None:
    package.require_change_from(effective_from)  # checked before anything changes
    own = own_places(package.lines)
    lines = allocate(interventions, with_own_places(offers(work), own), package.district)
    changed = Run(effective_from, sum(line.weekly_cost_pence for line in lines))
    held = holdings(
        work,
        package.id,
        package.charges,
        lambda fy: package.cost_in(fy, changed=changed),
        effective_from,
        today,
    )
    for provider_id in own:
        work.get_as(provider_uuid(provider_id), Provider, "provider").release(package.id)
    for line in lines:
        provider = work.get_as(provider_uuid(line.provider_id), Provider, "provider")
        provider.reserve(package.id, line.units)
    released = hold(work, package.id, held)
    package.recommission(lines, effective_from, sum(h.pence for h in held), released)
    work.add(package)
