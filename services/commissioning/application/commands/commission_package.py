"""Commission a package its panel asked for: each intervention from a provider with room,
within the budgets it is charged to; or, when it cannot be, a refusal the panel is told of
(`CommissioningFailed`) so it can decide again.

Everything is checked before anything changes, so a refusal leaves capacity and budgets
as they were."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.reference import AvoidedOutcome, Panel, financial_year
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.application.holdings import hold, holdings, offers
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
    Run,
    allocate,
    budget_charges,
    cost_in_fy,
    schedule_of,
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
    meeting_id: UUID | None = None  # the panel meeting that agreed it


@handlers(CommissionPackage)
def commission_package(
    app: CommissioningApp, command: CommissionPackage, work: Work[CommissioningApp]
) -> Package | Refusal:
    found = work.find(command.package_id)
    if isinstance(found, Package | Refusal):
        return found  # the same request again
    starts_on, review_on = schedule_of(command.interventions)
    try:
        charges = budget_charges(command.panel, command.district, command.funding_split)
        lines = allocate(command.interventions, offers(work), command.district)
        runs = [Run(starts_on, sum(line.weekly_cost_pence for line in lines))]
        # every year from its start that has its budgets set holds its part
        held = holdings(
            work,
            command.package_id,
            charges,
            lambda fy: cost_in_fy(runs, None, fy),
            starts_on,
            app.today(),
            first_year_set=True,
        )
    except CommissioningRefused as refused:
        refusal = Refusal.of(
            command.package_id,
            command.case_id,
            command.panel,
            refused,
            district=command.district,
            meeting=command.meeting_id,
        )
        work.add(refusal)
        return refusal
    for line in lines:
        provider = work.get_as(provider_uuid(line.provider_id), Provider, "provider")
        provider.reserve(command.package_id, line.units)
    hold(work, command.package_id, held)
    package = Package.commission(
        package_id=command.package_id,
        case_id=command.case_id,
        panel=command.panel,
        district=command.district,
        lines=lines,
        starts_on=starts_on,
        review_on=review_on,
        funding_split=command.funding_split,
        committed_pence=sum(h.pence for h in held),
        fy=financial_year(starts_on),
        alternative_to=command.alternative_to,
        charges=charges,
        agreed_at=command.meeting_id,
    )
    case = work.find(case_packages_uuid(command.case_id))
    if not isinstance(case, CasePackages):
        case = CasePackages(case_id=command.case_id)
    case.add(command.package_id)
    work.add(package, case)
    return package
