"""The lead professional agrees an action towards a goal: its owner from the team, its due
date, and where it helps, the service of the case's packages it is part of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.plans import PlanChange, planning
from services.panel.domain.plan import Plan
from services.panel.domain.values import Action

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class AgreeAction(PlanChange):
    action_id: str
    goal_id: str
    text: str
    owner: str  # a team member's id
    due_on: date
    intervention: str | None = None


@handlers(AgreeAction)
def agree_action(app: PanelApp, c: AgreeAction, work: Work[PanelApp]) -> Plan:
    at = planning(c, work)
    action = Action(c.goal_id, c.text, c.owner, c.due_on, c.intervention)
    at.plan.agree_action(c.action_id, action, at.case.package_services)
    return at.plan
