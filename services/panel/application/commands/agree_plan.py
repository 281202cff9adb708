"""The plan agreed with the family and the team, and when it is reviewed (published)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.plans import PlanChange, planning
from services.panel.domain.plan import Plan
from services.panel.domain.values import Agreement

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class AgreePlan(PlanChange):
    agreed_on: date
    review_on: date


@handlers(AgreePlan)
def agree_plan(app: PanelApp, c: AgreePlan, work: Work[PanelApp]) -> Plan:
    plan = planning(c, work).plan
    plan.agree(Agreement(c.agreed_on, c.review_on))
    return plan
