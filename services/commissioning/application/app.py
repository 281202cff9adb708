"""The commissioning service's use cases. Inbound events and commissioners' commands share
the same functions, each over a unit of work committed in one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from contracts.reference import District, Panel, Role
from maag.runtime.application import ServiceApplication
from maag.runtime.auth import Caller
from maag.runtime.settings import Settings
from maag.runtime.unit_of_work import Conflict, Work, in_unit
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
    parse_split,
)

SYSTEM = {"user_id": "commissioning-service", "role": "system", "agency": "maag"}
SEED = Path(__file__).with_name("providers.json")
R = TypeVar("R")
# Seeded budgets per financial year (pence); commissioners change them over HTTP.
DEFAULT_BUDGETS = {"maag": 50_000_000, "earp": 200_000_000, "jap": 300_000_000}


def panel_key(panel: Panel, district: District | str | None) -> str:
    """A budget holder: each district's MAAG, the county EARP, the JAP."""
    return f"maag:{District(district).value}" if panel is Panel.MAAG and district else panel.value


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
    actor: dict[str, str],
    correlation_id: str,
) -> Package | Refusal:
    """Commission from providers with room, within the panel's budget, or record why not.

    Everything is checked before anything changes, so a refusal leaves capacity and budget
    as they were."""
    found = work.find(package_id)
    if isinstance(found, Package | Refusal):
        return found  # the same request again
    starts_on = min(date.fromisoformat(str(i["starts_on"])) for i in interventions)
    review_on = starts_on + timedelta(
        weeks=min(int(i["review_interval_weeks"]) for i in interventions)
    )
    fy = financial_year(starts_on)
    key = panel_key(panel, district)
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
            correlation_id=correlation_id,
        )
        work.add(refusal)
        return refusal
    for line in lines:
        provider = work.get(provider_uuid(line.provider_id))
        assert isinstance(provider, Provider)
        provider.reserve(package_id, line.units)
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
        actor=actor,
        correlation_id=correlation_id,
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
    actor: dict[str, str],
    correlation_id: str,
) -> bool:
    """Stop a package from `effective_from`: its places go back to the providers and what it
    would have spent from then on goes back to the budget."""
    start = date.fromisoformat(package.starts_on)
    spent = committed_in_fy(
        package.weekly_cost_pence, start, effective_from - timedelta(days=1), package.fy
    )
    released = max(0, package.committed_pence - spent)
    if not package.decommission(
        reason, effective_from.isoformat(), released, actor, correlation_id
    ):
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


def decommission_case(
    work: Work, case_id: UUID, reason: str, effective_from: date, correlation_id: str
) -> int:
    case = work.find(case_packages_uuid(case_id))
    if not isinstance(case, CasePackages):
        return 0
    done = 0
    for package_id in case.package_ids:
        package = work.find(package_id)
        if isinstance(package, Package) and decommission(
            work, package, reason, effective_from, SYSTEM, correlation_id
        ):
            done += 1
    return done


def recommission(
    work: Work,
    package: Package,
    interventions: list[dict[str, Any]],
    effective_from: date,
    actor: dict[str, str],
    correlation_id: str,
) -> None:
    """Change a package from `effective_from`: its own places count as free, the rest of its
    money goes back before the new lines are paid for; refused as a whole or done as a whole."""
    own: dict[str, float] = {}
    for old in package.lines:
        own[old["provider_id"]] = own.get(old["provider_id"], 0.0) + old["units"]
    offers = [
        ProviderOffer(
            o.provider_id,
            o.services,
            o.districts,
            o.free_units + own.get(o.provider_id, 0.0),
            o.unit_cost_pence,
        )
        for o in _offers(work)
    ]
    lines = allocate(interventions, offers, package.district)
    weekly = sum(line.weekly_cost_pence for line in lines)
    start = date.fromisoformat(package.starts_on)
    spent = committed_in_fy(
        package.weekly_cost_pence, start, effective_from - timedelta(days=1), package.fy
    )
    released = max(0, package.committed_pence - spent)
    new_commitment = committed_in_fy(weekly, effective_from, None, package.fy)
    budget = work.get_as(budget_uuid(package.panel_key, package.fy), Budget, "budget")
    if new_commitment > budget.left + released:
        raise CommissioningRefused(
            "over-budget",
            f"the changed package needs £{new_commitment / 100:,.2f} this year; "
            f"£{(budget.left + released) / 100:,.2f} is available",
        )
    for provider_id in own:
        provider = work.get(provider_uuid(provider_id))
        assert isinstance(provider, Provider)
        provider.release(package.id)
    for line in lines:
        provider = work.get(provider_uuid(line.provider_id))
        assert isinstance(provider, Provider)
        provider.reserve(package.id, line.units)
    budget.release(package.id, released)
    budget.commit(package.id, new_commitment)
    package.recommission(
        [vars(line) for line in lines],
        weekly,
        effective_from.isoformat(),
        spent + new_commitment,
        released,
        actor,
        correlation_id,
    )
    work.add(package, budget)


class CommissioningApp(ServiceApplication):
    name = "commissioning"

    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        super().__init__(settings, env)
        self.jap_split = parse_split(settings.jap_funding_split)

    def _in_unit(self, use: Callable[[Work], R]) -> R:
        return in_unit(
            self, use, "a provider, budget or package changed while this was handled; retry"
        )

    # --- reference data ---

    def seed(self, today: date) -> int:
        """Register the seeded providers and this year's budgets, once."""
        made = 0
        fy = financial_year(today)
        budgets = [(f"maag:{d.value}", DEFAULT_BUDGETS["maag"]) for d in District] + [
            ("earp", DEFAULT_BUDGETS["earp"]),
            ("jap", DEFAULT_BUDGETS["jap"]),
        ]
        for spec in json.loads(SEED.read_text()):
            made += self._seed_one(partial(self._register, spec=spec))
        for key, amount in budgets:
            made += self._seed_one(partial(self._new_budget, key=key, fy=fy, amount=amount))
        return made

    def _seed_one(self, make: Callable[[Work], Any]) -> int:
        try:
            self._in_unit(make)
            return 1
        except (Conflict, CommissioningRefused):
            return 0  # already there

    @staticmethod
    def _new_budget(work: Work, key: str, fy: int, amount: int) -> Budget:
        if isinstance(work.find(budget_uuid(key, fy)), Budget):
            raise CommissioningRefused("exists", f"budget {key} {fy} is already set")
        budget = Budget(panel_key=key, fy=fy, amount_pence=amount)
        work.add(budget)
        return budget

    @staticmethod
    def _register(work: Work, spec: dict[str, Any]) -> Provider:
        if isinstance(work.find(provider_uuid(spec["provider_id"])), Provider):
            raise CommissioningRefused(
                "exists", f"provider {spec['provider_id']} is already registered"
            )
        provider = Provider(**spec)
        index = work.find(ProviderIndex.ID)
        if not isinstance(index, ProviderIndex):
            index = ProviderIndex()
        index.add(provider.provider_id)
        work.add(provider, index)
        return provider

    # --- commissioners' commands ---

    def register_provider(self, spec: dict[str, Any], caller: Caller) -> Provider:
        caller.require(Role.COMMISSIONER, to="register providers")
        result: Provider = self._in_unit(lambda w: self._register(w, spec))
        return result

    def set_capacity(self, provider_id: str, weekly_capacity: float, caller: Caller) -> Provider:
        caller.require(Role.COMMISSIONER, to="change capacity")

        def use(work: Work) -> Provider:
            provider = work.get_as(provider_uuid(provider_id), Provider, "provider")
            provider.change_capacity(weekly_capacity)
            return provider

        result: Provider = self._in_unit(use)
        return result

    def set_budget(self, key: str, fy: int, amount_pence: int, caller: Caller) -> Budget:
        caller.require(Role.COMMISSIONER, to="set budgets")

        def use(work: Work) -> Budget:
            budget = work.find(budget_uuid(key, fy))
            if isinstance(budget, Budget):
                if amount_pence < budget.committed:
                    raise CommissioningRefused(
                        "below-committed", f"£{budget.committed / 100:,.2f} is already committed"
                    )
                budget.amend(amount_pence)
            else:
                budget = Budget(panel_key=key, fy=fy, amount_pence=amount_pence)
                work.add(budget)
            return budget

        result: Budget = self._in_unit(use)
        return result

    def review(
        self,
        package_id: UUID,
        caller: Caller,
        goals: str,
        level_change: int,
        decision: str,
        correlation_id: str,
        effective_from: date | None = None,
        interventions: list[dict[str, Any]] | None = None,
    ) -> Package:
        caller.require(Role.COMMISSIONER, Role.PANEL_MEMBER, to="record reviews")
        actor = caller.record

        def use(work: Work) -> Package:
            package = work.get_as(package_id, Package, "package")
            next_review = None
            if decision == "continue":
                weeks = (
                    date.fromisoformat(package.review_on) - date.fromisoformat(package.starts_on)
                ).days // 7
                next_review = (
                    date.fromisoformat(package.review_on) + timedelta(weeks=max(weeks, 1))
                ).isoformat()
            package.review(goals, level_change, decision, next_review, actor, correlation_id)
            if decision == "decommission":
                reason = "outcomes-met" if goals == "met" else "not-effective"
                decommission(
                    work, package, reason, effective_from or date.today(), actor, correlation_id
                )
            elif decision == "recommission":
                if not interventions:
                    raise CommissioningRefused(
                        "no-interventions", "a recommission needs the changed interventions"
                    )
                when = effective_from or date.today()
                recommission(work, package, interventions, when, actor, correlation_id)
            work.add(package)
            return package

        result: Package = self._in_unit(use)
        return result

    def decommission(
        self,
        package_id: UUID,
        caller: Caller,
        reason: str,
        effective_from: date,
        correlation_id: str,
    ) -> Package:
        caller.require(Role.COMMISSIONER, to="decommission packages")
        actor = caller.record

        def use(work: Work) -> Package:
            package = work.get_as(package_id, Package, "package")
            if not decommission(work, package, reason, effective_from, actor, correlation_id):
                raise CommissioningRefused(
                    "not-active", f"package {package_id} is already {package.status}"
                )
            return package

        result: Package = self._in_unit(use)
        return result

    # --- queries ---

    def packages_of(self, case_id: UUID, caller: Caller) -> list[Package]:
        caller.require(Role.COMMISSIONER, Role.PANEL_MEMBER, Role.AUDITOR, to="read packages")
        work = Work(self)
        case = work.find(case_packages_uuid(case_id))
        if not isinstance(case, CasePackages):
            return []
        return [p for pid in case.package_ids if isinstance(p := work.find(pid), Package)]

    def providers(self, caller: Caller) -> list[Provider]:
        caller.require(Role.COMMISSIONER, Role.PANEL_MEMBER, Role.AUDITOR, to="read providers")
        return providers(Work(self))

    def budget(self, key: str, fy: int, caller: Caller) -> Budget:
        caller.require(Role.COMMISSIONER, Role.AUDITOR, to="read budgets")
        return Work(self).get_as(budget_uuid(key, fy), Budget, "budget")
