"""A commissioner sets a budget holder's budget for this financial year or the next (a
closed year's stands; never below what it holds). A new year's budget takes on, at once,
every package charged to it that runs on into that year: each its share of what it costs
there. The seeded budgets are opened the same way, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from contracts.reference import Role, fy_label
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.application.holdings import carried_into
from services.commissioning.domain.aggregates import Budget, budget_uuid
from services.commissioning.domain.rules import (
    CommissioningRefused,
    require_settable,
)
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
    require_settable(command.fy, app.today())
    budget = work.find(budget_uuid(command.key, command.fy))
    if isinstance(budget, Budget):
        budget.amend(command.amount_pence)
        return budget
    return open_budget(work, command.key, command.fy, command.amount_pence, app.today())


def open_budget(work: Work, key: str, fy: int, amount_pence: int, today: date) -> Budget:
    """A new budget, holding the packages that run on into its year: refused if it is
    already set (however it was set) or is less than they cost there."""
    if isinstance(work.find(budget_uuid(key, fy)), Budget):
        raise CommissioningRefused(RefusalReason.EXISTS, f"budget {key} {fy} is already set")
    require_settable(fy, today)
    owed = {p.id: p.share_in(key, fy) for p in carried_into(work, key, fy)}
    if sum(owed.values()) > amount_pence:
        raise CommissioningRefused(
            RefusalReason.BELOW_COMMITTED,
            f"£{sum(owed.values()) / 100:,.2f} is owed in {fy_label(fy)} to {len(owed)} "
            f"package(s) that run on into it",
        )
    budget = Budget(panel_key=key, fy=fy, amount_pence=amount_pence)
    for package_id, pence in owed.items():
        if pence:
            budget.commit(package_id, pence)
    work.add(budget)
    return budget
