"""The lead professional sets a goal towards one of the plan's needs (once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.plans import PlanChange, planning
from services.panel.domain.plan import Plan

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class SetGoal(PlanChange):
    goal_id: str
    need_id: str
    text: str


@handlers(SetGoal)
def set_goal(app: PanelApp, c: SetGoal, work: Work[PanelApp]) -> Plan:
    plan = planning(c, work).plan
    plan.set_goal(c.goal_id, c.need_id, c.text)
    return plan
