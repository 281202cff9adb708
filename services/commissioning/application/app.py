"""The commissioning service's application: its store, its abilities (`commands/`, one
registry), and the reference data it starts with (the providers' directory and this
year's budgets, seeded once)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError

from contracts.reference import JAP_FUNDERS, Agency, District, Office, financial_year
from maag.runtime.commands import Command
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.application.commands.register_provider import register
from services.commissioning.application.commands.set_budget import open_budget
from services.commissioning.domain.rules import CommissioningRefused
from services.commissioning.domain.savings import annual_costs
from services.commissioning.domain.values import ProviderDetails

SEED = Path(__file__).with_name("providers.json")
# Seeded budgets per financial year (pence); commissioners change them over HTTP. Each JAP
# funder holds its own JAP budget (`jap:<funder>`), charged its agreed share of a package.
DEFAULT_BUDGETS = {"maag": 50_000_000, "earp": 200_000_000}
DEFAULT_JAP_BUDGETS = {
    Office.CHILDRENS_SERVICES.value: 150_000_000,
    Office.PCT.value: 100_000_000,
    Agency.ADULT_TRANSITION.value: 50_000_000,
}


def _utc_today() -> date:
    return datetime.now(UTC).date()


class CommissioningApp(ServiceApplication):
    name = "commissioning"

    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        super().__init__(settings, env)
        # each outcome's yearly cost for the savings report: the deployment's, else sourced
        self.avoided_costs = annual_costs(settings.avoided_annual_cost_pence)
        # what day it is, for the years a budget may be set for and a package is held in
        # (a test sets its own, to cross a year end)
        self.today: Callable[[], date] = _utc_today

    def handle(self, command: Command, work: Work[CommissioningApp] | None = None) -> Any:
        """Through the pipeline; in `work` (a consumer's, committed by it) when given."""
        return handlers.handle(self, command, work)

    def seed(self, today: date) -> int:
        """Register the seeded providers and this year's budgets, once."""
        made = 0
        fy = financial_year(today)
        budgets = [(f"maag:{d.value}", DEFAULT_BUDGETS["maag"]) for d in District] + [
            ("earp", DEFAULT_BUDGETS["earp"])
        ]
        budgets += [(f"jap:{funder}", DEFAULT_JAP_BUDGETS[funder]) for funder in JAP_FUNDERS]
        for entry in json.loads(SEED.read_text()):
            made += self._seed_one(partial(register, details=ProviderDetails.of(entry)))
        for key, amount in budgets:
            made += self._seed_one(
                partial(open_budget, key=key, fy=fy, amount_pence=amount, today=today)
            )
        return made

    def _seed_one(self, make: Callable[[Work[CommissioningApp]], object]) -> int:
        work = Work(self)
        try:
            make(work)
            work.commit()
            return 1
        except (IntegrityError, CommissioningRefused):
            return 0  # already there (or another replica seeded it at the same moment)
