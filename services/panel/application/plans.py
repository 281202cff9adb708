"""What every change of a case's plan shares: only the case's current lead professional
makes it, while the case is open (the policy's CHANGE_PLAN, asked by the pipeline before the
handler runs); the plan is started by its first change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import find_plan
from services.panel.domain.case import PanelCase
from services.panel.domain.plan import Plan


@dataclass(frozen=True, kw_only=True)
class PlanChange(Command):
    action: ClassVar[Action | None] = Action.CHANGE_PLAN
    case_id: UUID


@dataclass(frozen=True)
class Planning:
    """The case, and its plan (started if need be, added to the unit of work)."""

    case: PanelCase
    plan: Plan


def planning(c: PlanChange, work: Work) -> Planning:
    case = work.get_as(c.case_id, PanelCase, "case")
    plan = find_plan(work, c.case_id) or Plan(case_id=c.case_id)
    work.add(plan)
    return Planning(case, plan)
