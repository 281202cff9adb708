"""Commissioning's operations on packages, over a unit of work: commission from providers
with room within the panel's budget, stop, change. The arithmetic is the domain's
(`domain/rules.py`); these load and save what it decides about."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from contracts.reference import Panel
from maag.runtime.unit_of_work import Work
from services.commissioning.domain.aggregates import (
    Budget,
    CasePackages,
    Package,
    Provider,
    ProviderIndex,
    Refusal,
    budget_uuid,
    case_packages_uuid,
    provider_uuid,
)
from services.commissioning.domain.rules import (
    CommissioningRefused,
    ProviderOffer,
    allocate,
    committed_in_fy,
    financial_year,
    next_review_on,
    own_places,
    panel_key,
    require_affordable,
    schedule_of,
    stopped_from,
    with_own_places,
)


def providers(work: Work) -> list[Provider]:
    index = work.find(ProviderIndex.ID)
    ids = index.provider_ids if isinstance(index, ProviderIndex) else []
    return [p for pid in ids if isinstance(p := work.find(provider_uuid(pid)), Provider)]


def _offers(work: Work) -> list[ProviderOffer]:
    return [
        ProviderOffer(
            p.provider_id, frozenset(p.services), frozenset(p.districts), p.free, p.unit_cost_pence
        )
        for p in providers(work)
    ]


def commission(
    work: Work,
    *,
    package_id: UUID,
    case_id: UUID,
    panel: Panel,
    district: str,
    interventions: list[dict[str, Any]],
    jap_split: list[tuple[str, int]],
) -> Package | Refusal:
    """Commission from providers with room, within the panel's budget, or record why not.

    Everything is checked before anything changes, so a refusal leaves capacity and budget
    as they were."""
    found = work.find(package_id)
    if isinstance(found, Package | Refusal):
        return found  # the same request again
    starts_on, review_on = schedule_of(interventions)
    fy = financial_year(starts_on)
    key = panel_key(panel.value, district)
    try:
        lines = allocate(interventions, _offers(work), district)
        weekly = sum(line.weekly_cost_pence for line in lines)
        committed = committed_in_fy(weekly, starts_on, None, fy)
        budget = work.find(budget_uuid(key, fy))
        if not isinstance(budget, Budget):
            raise CommissioningRefused(
                "no-budget", f"no budget is set for {key} in financial year {fy}/{fy + 1 - 2000}"
            )
        if committed > budget.left:
            budget.commit(package_id, committed)  # raises with the figures
    except CommissioningRefused as refused:
        refusal = Refusal(
            package_id=package_id,
            case_id=case_id,
            panel=panel.value,
            reason=refused.reason,
            detail=str(refused),
        )
        work.add(refusal)
        return refusal
    for line in lines:
        work.get_as(provider_uuid(line.provider_id), Provider, "provider").reserve(
            package_id, line.units
        )
    budget.commit(package_id, committed)
    package = Package(
        package_id=package_id,
        case_id=case_id,
        panel=panel.value,
        panel_key=key,
        district=district,
        lines=[vars(line) for line in lines],
        weekly_cost_pence=weekly,
        starts_on=starts_on.isoformat(),
        review_on=review_on.isoformat(),
        funding_split=[list(s) for s in jap_split] if panel is Panel.JAP else [],
        committed_pence=committed,
        fy=fy,
    )
    case = work.find(case_packages_uuid(case_id))
    if not isinstance(case, CasePackages):
        case = CasePackages(case_id=case_id)
    case.add(package_id)
    work.add(package, case)
    return package


def decommission(
    work: Work,
    package: Package,
    reason: str,
    effective_from: date,
) -> bool:
    """Stop a package from `effective_from`: its places go back to the providers and what it
    would have spent from then on goes back to the budget."""
    _, released = _stopped(package, effective_from)
    if not package.decommission(reason, effective_from.isoformat(), released):
        return False
    for provider_id in package.provider_ids:
        provider = work.find(provider_uuid(provider_id))
        if isinstance(provider, Provider):
            provider.release(package.id)
            work.add(provider)
    budget = work.find(budget_uuid(package.panel_key, package.fy))
    if isinstance(budget, Budget):
        budget.release(package.id, released)
        work.add(budget)
    work.add(package)
    return True


def decommission_case(work: Work, case_id: UUID, reason: str, effective_from: date) -> int:
    case = work.find(case_packages_uuid(case_id))
    if not isinstance(case, CasePackages):
        return 0
    done = 0
    for package_id in case.package_ids:
        package = work.find(package_id)
        if isinstance(package, Package) and decommission(work, package, reason, effective_from):
            done += 1
    return done


def recommission(
    work: Work,
    package: Package,
    interventions: list[dict[str, Any]],
    effective_from: date,
) -> None:
    """Change a package from `effective_from`: its own places count as free, the rest of its
    money goes back before the new lines are paid for; refused as a whole or done as a whole."""
    own = own_places(package.lines)
    lines = allocate(interventions, with_own_places(_offers(work), own), package.district)
    weekly = sum(line.weekly_cost_pence for line in lines)
    spent, released = _stopped(package, effective_from)
    new_commitment = committed_in_fy(weekly, effective_from, None, package.fy)
    budget = work.get_as(budget_uuid(package.panel_key, package.fy), Budget, "budget")
    require_affordable(new_commitment, budget.left, released)
    for provider_id in own:
        work.get_as(provider_uuid(provider_id), Provider, "provider").release(package.id)
    for line in lines:
        work.get_as(provider_uuid(line.provider_id), Provider, "provider").reserve(
            package.id, line.units
        )
    budget.release(package.id, released)
    budget.commit(package.id, new_commitment)
    package.recommission(
        [vars(line) for line in lines],
        weekly,
        effective_from.isoformat(),
        spent + new_commitment,
        released,
    )
    work.add(package, budget)


def _stopped(package: Package, effective_from: date) -> tuple[int, int]:
    start = date.fromisoformat(package.starts_on)
    return stopped_from(
        package.weekly_cost_pence, start, package.committed_pence, package.fy, effective_from
    )


def review_package(
    work: Work,
    package: Package,
    goals: str,
    level_change: int,
    decision: str,
    when: date,
    interventions: list[dict[str, Any]],
) -> None:
    """Record a review and carry out its decision: continue (reviewed again at the package's
    own interval), recommission with `interventions` from `when`, or decommission from it."""
    next_review = None
    if decision in ("continue", "recommission"):
        next_review = next_review_on(
            date.fromisoformat(package.review_on), package.review_weeks
        ).isoformat()
    if decision == "recommission" and not interventions:
        raise CommissioningRefused(
            "no-interventions", "a recommission needs the changed interventions"
        )
    package.review(goals, level_change, decision, next_review)
    if decision == "decommission":
        reason = "outcomes-met" if goals == "met" else "not-effective"
        decommission(work, package, reason, when)
    elif decision == "recommission":
        recommission(work, package, interventions, when)
    work.add(package)
