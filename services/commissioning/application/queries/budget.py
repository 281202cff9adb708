"""A budget holder's budget for a financial year: set, committed, left; and every budget set
for a year, read in one query."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.reference import BUDGET_HOLDERS, Role
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.domain.aggregates import Budget, budget_uuid

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def budget(app: CommissioningApp, caller: Caller, key: str, fy: int) -> Budget:
    caller.require(Role.COMMISSIONER, Role.AUDITOR, to="read budgets")
    return Work(app).get_as(budget_uuid(key, fy), Budget, "budget")


def budgets_of_year(app: CommissioningApp, caller: Caller, fy: int) -> list[Budget]:
    """The budgets set for `fy`, in `BUDGET_HOLDERS`' order (one not set is left out)."""
    caller.require(Role.COMMISSIONER, Role.AUDITOR, to="read budgets")
    ids = [budget_uuid(key, fy) for key in BUDGET_HOLDERS]
    work = Work(app, prefetched=ids, histories=app.histories(ids))
    return [b for i in ids if isinstance(b := work.find(i), Budget)]
