"""Commissioning's operations on packages, over a unit of work: commission from providers
with room within the panel's budget, stop, change. The arithmetic is the domain's
(`domain/rules.py`); these load and save what it decides about."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from contracts.reference import Panel
from maag.runtime.store.unit_of_work import Work
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
    apportion,
    budget_charges,
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
    alternative_to: list[str],
    funding_split: list[tuple[str, int]],
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
        charges = budget_charges(panel.value, district, funding_split)
        lines = allocate(interventions, _offers(work), district)
        weekly = sum(line.weekly_cost_pence for line in lines)
        committed = committed_in_fy(weekly, starts_on, None, fy)
        budgets = _budgets(work, charges, fy)
        for budget, share in zip(budgets, _shares(committed, charges), strict=True):
            if share > budget.left:
                budget.commit(package_id, share)  # raises with the figures
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
    for budget, share in zip(budgets, _shares(committed, charges), strict=True):
        budget.commit(package_id, share)
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
        funding_split=[list(s) for s in funding_split] if panel is Panel.JAP else [],
        committed_pence=committed,
        fy=fy,
        alternative_to=alternative_to,
        charges=[list(c) for c in charges],
    )
    case = work.find(case_packages_uuid(case_id))
    if not isinstance(case, CasePackages):
        case = CasePackages(case_id=case_id)
    case.add(package_id)
    work.add(package, case, *budgets)
    return package


def _budgets(work: Work, charges: list[tuple[str, int]], fy: int) -> list[Budget]:
    """The budget of each charge, or refused naming the one not set."""
    budgets = []
    for key, _ in charges:
        budget = work.find(budget_uuid(key, fy))
        if not isinstance(budget, Budget):
            raise CommissioningRefused(
                "no-budget", f"no budget is set for {key} in financial year {fy}/{fy + 1 - 2000}"
            )
        budgets.append(budget)
    return budgets


def _shares(pence: int, charges: list[tuple[str, int]] | list[list[Any]]) -> list[int]:
    return apportion(pence, [int(percent) for _, percent in charges])


def _charges(package: Package) -> list[tuple[str, int]]:
    return [(str(key), int(percent)) for key, percent in package.charges]


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
    for (key, _), share in zip(package.charges, _shares(released, package.charges), strict=True):
        budget = work.find(budget_uuid(key, package.fy))
        if isinstance(budget, Budget):
            budget.release(package.id, share)
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
    charges = _charges(package)
    budgets = _budgets(work, charges, package.fy)
    returning, needed = _shares(released, charges), _shares(new_commitment, charges)
    for budget, back, need in zip(budgets, returning, needed, strict=True):
        require_affordable(need, budget.left, back, budget.panel_key)
    for provider_id in own:
        work.get_as(provider_uuid(provider_id), Provider, "provider").release(package.id)
    for line in lines:
        work.get_as(provider_uuid(line.provider_id), Provider, "provider").reserve(
            package.id, line.units
        )
    for budget, back, need in zip(budgets, returning, needed, strict=True):
        budget.release(package.id, back)
        budget.commit(package.id, need)
    package.recommission(
        [vars(line) for line in lines],
        weekly,
        effective_from.isoformat(),
        spent + new_commitment,
        released,
    )
    work.add(package, *budgets)


def _stopped(package: Package, effective_from: date) -> tuple[int, int]:
    """(spent, released) of a package stopped or changed from `effective_from`: all it has
    spent, its earlier periods included, and what of its current commitment goes back."""
    start = date.fromisoformat(package.starts_on)
    current = package.committed_pence - package.spent_before_pence
    spent, released = stopped_from(
        package.weekly_cost_pence, start, current, package.fy, effective_from
    )
    return package.spent_before_pence + spent, released


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
