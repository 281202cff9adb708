"""What is due on the cases the caller leads, as their lead professional, soonest first
(overdue before the rest): each plan action whose goal is not yet met, the plan's review,
and each package's review, due within four weeks or already past (a read of each case
listed is recorded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.reference import Role
from maag.runtime.evidence.reads import record_reads
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.panel.application.access import leads
from services.panel.application.lookup import find_plan
from services.panel.application.ports import ReadModel
from services.panel.domain.case import PanelCase
from services.panel.domain.plan import Plan
from services.panel.domain.values import Outcome, Progress

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp

AHEAD = timedelta(weeks=4)  # how far ahead something due is worth showing


@dataclass(frozen=True)
class DueItem:
    case_id: UUID
    kind: str  # action | plan-review | package-review
    ref: str  # the action's id, or the package's
    due_on: date
    overdue: bool


def case_work(app: PanelApp, read_model: ReadModel, caller: Caller, today: date) -> list[DueItem]:
    caller.require(Role.LEAD_PROFESSIONAL, to="see what is due on the cases they lead")
    horizon = today + AHEAD
    work = Work(app)
    found: list[DueItem] = []
    seen: list[UUID] = []
    for row in read_model.led_by(caller.user_id):
        if row.status != "active":
            continue  # closed: nothing is due
        case = work.find(row.case_id)
        if not isinstance(case, PanelCase) or not case.is_open or not leads(caller, case):
            continue  # closed, paused, or led by someone else now
        seen.append(case.id)
        due = [
            ("package-review", str(package_id), package.review_on)
            for package_id, package in case.packages.items()
            if package.ended is None and package.review_on is not None
        ]
        if (plan := find_plan(work, case.id)) is not None:
            due += _plan_due(plan)
        found += [
            DueItem(case.id, kind, ref, on, on < today) for kind, ref, on in due if on <= horizon
        ]
    record_reads(app, seen, caller)
    return sorted(found, key=lambda i: (not i.overdue, i.due_on, str(i.case_id)))


def _plan_due(plan: Plan) -> list[tuple[str, str, date]]:
    """The plan's actions whose goal is not met, and its review until it is held."""
    latest = plan.latest_review
    met = {
        goal_id
        for goal_id, goal in plan.goals.items()
        if (goal.progress and goal.progress[-1].status is Progress.MET)
        or (latest is not None and latest.outcomes.get(goal_id) is Outcome.MET)
    }
    due = [
        ("action", action_id, action.due_on)
        for action_id, action in plan.actions.items()
        if action.goal_id not in met
    ]
    agreed = plan.agreed
    # held once since it was agreed, early or late, the review is done
    if agreed is not None and not any(r.reviewed_on >= agreed.agreed_on for r in plan.reviews):
        due.append(("plan-review", str(plan.id), agreed.review_on))
    return due
