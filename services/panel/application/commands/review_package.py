"""The panel reviews a package listed for review (continue, recommission or decommission):
commissioning carries it out. The goals' outcome is the panel's, or else the lead
professional's latest review of the plan, its goals taken together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.events.panel import RequestedIntervention, ReviewDecision
from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.decisions import Decision, in_session
from services.panel.application.lookup import find_plan
from services.panel.domain.case import PanelCase
from services.panel.domain.plan import Plan, PlanRuleBroken
from services.panel.domain.values import Outcome

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class ReviewPackage(Decision):
    package_id: UUID
    goals: Outcome | None = None
    level_of_need_change: int
    decision: ReviewDecision
    interventions: tuple[RequestedIntervention, ...] = ()  # a recommission's
    effective_from: date | None = None  # default: the meeting's day
    reason: str


@handlers(ReviewPackage)
def review_package(app: PanelApp, c: ReviewPackage, work: Work[PanelApp]) -> PanelCase:
    at = in_session(c, work)
    at.case.review_package(
        at.meeting,
        c.package_id,
        goals_for_review(find_plan(work, at.case.id), c.goals),
        c.level_of_need_change,
        c.decision,
        c.interventions,
        c.effective_from or at.meeting.starts_at.date(),
        c.reason,
    )
    return at.case


def goals_for_review(plan: Plan | None, given: Outcome | None) -> Outcome:
    """As the panel says, or the plan's latest review taken together."""
    if given is not None:
        return given
    review = plan.latest_review if plan else None
    if review is None:
        raise PlanRuleBroken(
            "goals: give the goals' outcome, or have the lead professional review the plan first"
        )
    return review.overall
