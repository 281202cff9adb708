"""A commissioner sets a budget holder's budget for a financial year (never below what is
committed); the seeded budgets are opened the same way, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.reference import Role
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.domain.aggregates import Budget, budget_uuid
from services.commissioning.domain.rules import CommissioningRefused
from services.commissioning.domain.values import RefusalReason

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


@dataclass(frozen=True, kw_only=True)
class SetBudget(Command):
    key: str  # maag:<district>, earp or jap:<funder>
    fy: int
    amount_pence: int


@handlers(SetBudget)
def set_budget(app: CommissioningApp, command: SetBudget, work: Work[CommissioningApp]) -> Budget:
    command.caller.require(Role.COMMISSIONER, to="set budgets")
    budget = work.find(budget_uuid(command.key, command.fy))
    if isinstance(budget, Budget):
        budget.amend(command.amount_pence)
        return budget
    budget = Budget(panel_key=command.key, fy=command.fy, amount_pence=command.amount_pence)
    work.add(budget)
    return budget


def open_budget(work: Work, key: str, fy: int, amount_pence: int) -> Budget:
    """A budget as seeded: refused if it is already set (however it was set)."""
    if isinstance(work.find(budget_uuid(key, fy)), Budget):
        raise CommissioningRefused(RefusalReason.EXISTS, f"budget {key} {fy} is already set")
    budget = Budget(panel_key=key, fy=fy, amount_pence=amount_pence)
    work.add(budget)
    return budget
