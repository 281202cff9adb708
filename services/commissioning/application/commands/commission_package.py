"""Commission a package its panel asked for: each intervention from a provider with room,
within the budgets it is charged to; or, when it cannot be, a refusal the panel is told of
(`CommissioningFailed`) so it can decide again.

Everything is checked before anything changes, so a refusal leaves capacity and budgets
as they were."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.reference import AvoidedOutcome, Panel
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.application.holdings import budgets, offers
from services.commissioning.domain.aggregates import (
    CasePackages,
    Package,
    Provider,
    Refusal,
    case_packages_uuid,
    provider_uuid,
)
from services.commissioning.domain.rules import (
    CommissioningRefused,
    allocate,
    budget_charges,
    committed_in_fy,
    financial_year,
    schedule_of,
    shares,
)
from services.commissioning.domain.values import FundingSplit, Intervention

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


@dataclass(frozen=True, kw_only=True)
class CommissionPackage(Command):
    package_id: UUID
    case_id: UUID
    panel: Panel
    district: str
    interventions: tuple[Intervention, ...]
    alternative_to: tuple[AvoidedOutcome, ...]
    funding_split: FundingSplit


@handlers(CommissionPackage)
def commission_package(
    app: CommissioningApp, command: CommissionPackage, work: Work[CommissioningApp]
) -> Package | Refusal:
    found = work.find(command.package_id)
    if isinstance(found, Package | Refusal):
        return found  # the same request again
    starts_on, review_on = schedule_of(command.interventions)
    fy = financial_year(starts_on)
    try:
        charges = budget_charges(command.panel, command.district, command.funding_split)
        lines = allocate(command.interventions, offers(work), command.district)
        weekly = sum(line.weekly_cost_pence for line in lines)
        committed = committed_in_fy(weekly, starts_on, None, fy)
        charged = budgets(work, charges, fy)
        for budget, share in zip(charged, shares(committed, charges), strict=True):
            if share > budget.left:
                budget.commit(command.package_id, share)  # raises with the figures
    except CommissioningRefused as refused:
        refusal = Refusal.of(command.package_id, command.case_id, command.panel, refused)
        work.add(refusal)
        return refusal
    for line in lines:
        provider = work.get_as(provider_uuid(line.provider_id), Provider, "provider")
        provider.reserve(command.package_id, line.units)
    for budget, share in zip(charged, shares(committed, charges), strict=True):
        budget.commit(command.package_id, share)
    package = Package.commission(
        package_id=command.package_id,
        case_id=command.case_id,
        panel=command.panel,
        district=command.district,
        lines=lines,
        starts_on=starts_on,
        review_on=review_on,
        funding_split=command.funding_split,
        committed_pence=committed,
        fy=fy,
        alternative_to=command.alternative_to,
        charges=charges,
    )
    case = work.find(case_packages_uuid(command.case_id))
    if not isinstance(case, CasePackages):
        case = CasePackages(case_id=command.case_id)
    case.add(command.package_id)
    work.add(package, case, *charged)
    return package
