"""A budget holder's budget for a financial year: set, committed, left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.reference import Role
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.domain.aggregates import Budget, budget_uuid

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def budget(app: CommissioningApp, caller: Caller, key: str, fy: int) -> Budget:
    caller.require(Role.COMMISSIONER, Role.AUDITOR, to="read budgets")
    return Work(app).get_as(budget_uuid(key, fy), Budget, "budget")
