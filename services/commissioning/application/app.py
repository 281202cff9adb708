"""The commissioning service's application: its store, its commands (`commands.py`), the
policies it follows (`policies.py`), seeding reference data, and its queries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.reference import JAP_FUNDERS, Agency, District, Office, Role
from maag.runtime import policy
from maag.runtime.commands import Command
from maag.runtime.policy import Action, CaseScope
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.application.commands import handlers, register
from services.commissioning.application.packages import providers
from services.commissioning.domain.aggregates import (
    Budget,
    CasePackages,
    Package,
    Provider,
    budget_uuid,
    case_packages_uuid,
)
from services.commissioning.domain.rules import CommissioningRefused, financial_year
from services.commissioning.domain.savings import annual_costs

SEED = Path(__file__).with_name("providers.json")
# Seeded budgets per financial year (pence); commissioners change them over HTTP. Each JAP
# funder holds its own JAP budget (`jap:<funder>`), charged its agreed share of a package.
DEFAULT_BUDGETS = {"maag": 50_000_000, "earp": 200_000_000}
DEFAULT_JAP_BUDGETS = {
    Office.CHILDRENS_SERVICES.value: 150_000_000,
    Office.PCT.value: 100_000_000,
    Agency.ADULT_TRANSITION.value: 50_000_000,
}


class CommissioningApp(ServiceApplication):
    name = "commissioning"

    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        super().__init__(settings, env)
        # each outcome's yearly cost for the savings report: the deployment's, else sourced
        self.avoided_costs = annual_costs(settings.avoided_annual_cost_pence)

    def handle(self, command: Command) -> Any:
        return handlers.handle(self, command)

    # --- reference data ---

    def seed(self, today: date) -> int:
        """Register the seeded providers and this year's budgets, once."""
        made = 0
        fy = financial_year(today)
        budgets = [(f"maag:{d.value}", DEFAULT_BUDGETS["maag"]) for d in District] + [
            ("earp", DEFAULT_BUDGETS["earp"])
        ]
        budgets += [(f"jap:{funder}", DEFAULT_JAP_BUDGETS[funder]) for funder in JAP_FUNDERS]
        for spec in json.loads(SEED.read_text()):
            made += self._seed_one(partial(register, spec=spec))
        for key, amount in budgets:
            made += self._seed_one(partial(_new_budget, key=key, fy=fy, amount=amount))
        return made

    def _seed_one(self, make: Callable[[Work], Any]) -> int:
        work = Work(self)
        try:
            make(work)
            work.commit()
            return 1
        except (IntegrityError, CommissioningRefused):
            return 0  # already there (or another replica seeded it at the same moment)

    # --- queries ---

    def packages_of(self, case_id: UUID, caller: Caller) -> list[Package]:
        """The case's packages, for those the one access policy lets read them (a panel
        member: of the district and tier that agreed them)."""
        policy.require_role(caller, Action.READ_PACKAGES)
        work = Work(self)
        case = work.find(case_packages_uuid(case_id))
        if not isinstance(case, CasePackages):
            return []
        found = [p for pid in case.package_ids if isinstance(p := work.find(pid), Package)]
        for package in found:
            policy.require(caller, Action.READ_PACKAGES, scope_of(package))
        return found

    def package(self, package_id: UUID, caller: Caller) -> Package:
        policy.require_role(caller, Action.READ_PACKAGES)
        package = Work(self).get_as(package_id, Package, "package")
        policy.require(caller, Action.READ_PACKAGES, scope_of(package))
        return package

    def providers(self, caller: Caller) -> list[Provider]:
        caller.require(Role.COMMISSIONER, Role.PANEL_MEMBER, Role.AUDITOR, to="read providers")
        return providers(Work(self))

    def budget(self, key: str, fy: int, caller: Caller) -> Budget:
        caller.require(Role.COMMISSIONER, Role.AUDITOR, to="read budgets")
        return Work(self).get_as(budget_uuid(key, fy), Budget, "budget")


def scope_of(package: Package) -> CaseScope:
    """What commissioning knows of a package's case: the district and the tier whose panel
    agreed it (not its lead professional, which the panel service holds)."""
    return CaseScope(
        case_id=package.case_id, district=package.district, tier=package.panel.split(":")[0]
    )


def _new_budget(work: Work, key: str, fy: int, amount: int) -> Budget:
    if isinstance(work.find(budget_uuid(key, fy)), Budget):
        raise CommissioningRefused("exists", f"budget {key} {fy} is already set")
    budget = Budget(panel_key=key, fy=fy, amount_pence=amount)
    work.add(budget)
    return budget
