"""The lead professional reviews the plan: an outcome for every goal (published as counts;
the panel's next review of the package takes it up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.plans import PlanChange, planning
from services.panel.domain.plan import Plan
from services.panel.domain.values import Outcome

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


class GoalOutcome(Protocol):
    """One goal's outcome, as the body gives it."""

    @property
    def goal_id(self) -> str: ...

    @property
    def outcome(self) -> Outcome: ...


@dataclass(frozen=True, kw_only=True)
class ReviewPlan(PlanChange):
    reviewed_on: date
    outcomes: tuple[GoalOutcome, ...]


@handlers(ReviewPlan)
def review_plan(app: PanelApp, c: ReviewPlan, work: Work[PanelApp]) -> Plan:
    plan = planning(c, work).plan
    plan.review(c.reviewed_on, {o.goal_id: o.outcome for o in c.outcomes})
    return plan
