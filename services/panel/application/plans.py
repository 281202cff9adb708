"""The lead professional's changes to the Team Around the Child and its plan (the HTTP body
of POST /cases/{case_id}/plan), and who may read the plan."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.limits import ID_CHARS, LABEL_CHARS, NOTE_CHARS, TEAM, TEXT_CHARS
from contracts.reference import ORGANISATIONS
from maag.runtime.store.unit_of_work import Work
from services.panel.domain.case import PanelCase
from services.panel.domain.plan import OUTCOMES, Plan, PlanRuleBroken, plan_id_for

# A plan's own ids for its needs, goals and actions, chosen by the lead professional ("n1",
# "g-school"): a retry with the same id changes nothing.
PlanId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
Outcome = Literal["met", "partly", "not-met"]
assert set(OUTCOMES) == {"met", "partly", "not-met"}


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddMember(_Change):
    kind: Literal["add-member"]
    member_id: str = Field(min_length=1, max_length=ID_CHARS, description="Their user id.")
    name: str = Field(min_length=1, max_length=ID_CHARS)
    organisation: str = Field(min_length=1, max_length=ID_CHARS)
    role: str = Field(min_length=1, max_length=LABEL_CHARS, description="e.g. school nurse")

    @model_validator(mode="after")
    def _known_organisation(self) -> AddMember:
        if self.organisation not in ORGANISATIONS:
            raise ValueError(f"organisation: not one of {', '.join(sorted(ORGANISATIONS))}")
        return self


class RecordMeeting(_Change):
    kind: Literal["record-meeting"]
    held_on: date
    attended: list[Annotated[str, Field(min_length=1, max_length=ID_CHARS)]] = Field(
        min_length=1, max_length=TEAM, description="Team member ids, and 'family'."
    )
    consent_reconfirmed: bool
    summary: str = Field(default="", max_length=NOTE_CHARS)


class RecordNeed(_Change):
    kind: Literal["record-need"]
    need_id: PlanId
    text: str = Field(min_length=1, max_length=TEXT_CHARS)


class SetGoal(_Change):
    kind: Literal["set-goal"]
    goal_id: PlanId
    need_id: PlanId
    text: str = Field(min_length=1, max_length=TEXT_CHARS)


class AgreeAction(_Change):
    kind: Literal["agree-action"]
    action_id: PlanId
    goal_id: PlanId
    text: str = Field(min_length=1, max_length=TEXT_CHARS)
    owner: str = Field(min_length=1, max_length=ID_CHARS, description="A team member's id.")
    due_on: date
    intervention: str | None = Field(
        default=None, max_length=LABEL_CHARS, description="A service of the case's package."
    )


class RecordProgress(_Change):
    kind: Literal["record-progress"]
    goal_id: PlanId
    status: Literal["not-started", "on-track", "off-track", "met"]
    note: str = Field(default="", max_length=TEXT_CHARS)
    recorded_on: date


class AgreePlan(_Change):
    kind: Literal["agree-plan"]
    agreed_on: date
    review_on: date


class GoalOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal_id: PlanId
    outcome: Outcome


class ReviewPlan(_Change):
    kind: Literal["review-plan"]
    reviewed_on: date
    outcomes: list[GoalOutcome] = Field(min_length=1, max_length=TEAM)

    @model_validator(mode="after")
    def _each_goal_once(self) -> ReviewPlan:
        if len({o.goal_id for o in self.outcomes}) != len(self.outcomes):
            raise ValueError("outcomes: each goal appears once")
        return self


PlanChange = Annotated[
    AddMember
    | RecordMeeting
    | RecordNeed
    | SetGoal
    | AgreeAction
    | RecordProgress
    | AgreePlan
    | ReviewPlan,
    Field(discriminator="kind"),
]


def apply(plan: Plan, d: Any, case: PanelCase) -> None:
    if isinstance(d, AddMember):
        plan.add_member(d.member_id, d.name, d.organisation, d.role)
    elif isinstance(d, RecordMeeting):
        plan.hold_meeting(d.held_on.isoformat(), d.attended, d.consent_reconfirmed, d.summary)
    elif isinstance(d, RecordNeed):
        plan.record_need(d.need_id, d.text)
    elif isinstance(d, SetGoal):
        plan.set_goal(d.goal_id, d.need_id, d.text)
    elif isinstance(d, AgreeAction):
        services = {
            str(i["service"]) for p in case.packages.values() for i in p.get("interventions", [])
        }
        plan.agree_action(
            d.action_id, d.goal_id, d.text, d.owner, d.due_on.isoformat(), d.intervention, services
        )
    elif isinstance(d, RecordProgress):
        plan.record_progress(d.goal_id, d.status, d.note, d.recorded_on.isoformat())
    elif isinstance(d, AgreePlan):
        plan.agree(d.agreed_on.isoformat(), d.review_on.isoformat())
    else:
        plan.review(d.reviewed_on.isoformat(), {o.goal_id: o.outcome for o in d.outcomes})


def read_plan(work: Work, case_id: UUID) -> Plan | None:
    found = work.find(plan_id_for(case_id))
    return found if isinstance(found, Plan) else None


def view(plan: Plan | None, case_id: UUID) -> dict[str, Any]:
    if plan is None:
        return {"case_id": str(case_id), "started": False}
    return {
        "case_id": str(case_id),
        "started": True,
        "team": plan.team,
        "meetings": plan.meetings,
        "needs": plan.needs,
        "goals": plan.goals,
        "actions": plan.actions,
        "agreed": plan.agreed,
        "reviews": plan.reviews,
    }


def goals_for_review(plan: Plan | None, given: str | None) -> str:
    """The goals' outcome the panel records on a package review: as the panel says, or the
    plan's latest review taken together."""
    if given is not None:
        return given
    review = plan.latest_review if plan else None
    if review is None:
        raise PlanRuleBroken(
            "goals: give the goals' outcome, or have the lead professional review the plan first"
        )
    return str(review["overall"])
