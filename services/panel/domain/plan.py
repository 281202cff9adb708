"""The Team Around the Child and its integrated plan, owned by the case's lead professional.

The lead professional "will then meet with the family and other agencies whose input is
required and agree an integrated package of support" (the county's model). The plan says
what the package is for: needs, the goals that meet them, and the actions towards each goal
(each with an owner from the team and a date), linked where it helps to the package's
interventions; progress against each goal; the meetings with the family (who came, whether
consent was reconfirmed); and the plan's reviews, whose goal outcomes the panel's review of
the package takes up. Nothing is deleted: a goal met stays in the plan, as does an action
done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Annotated
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, SPECIAL, THIRD_PARTY
from services.panel.domain.values import (
    Action,
    Agreement,
    FamilyMeeting,
    Goal,
    Member,
    Outcome,
    PlanReview,
    Progress,
    ProgressNote,
)

PLAN_NAMESPACE = UUID("8b1f6c3e-2d4a-4e59-9c7b-1a2f3e4d5c6b")
FAMILY = "family"  # who may attend a family meeting besides the team


class PlanRuleBroken(Exception):
    """The change does not fit the plan (HTTP 422, naming the field)."""


def plan_id_for(case_id: UUID) -> UUID:
    return uuid5(PLAN_NAMESPACE, str(case_id))


class Plan(Aggregate):
    class Started(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]

    class MemberAdded(Aggregate.Event):
        member_id: Annotated[str, THIRD_PARTY]
        name: Annotated[str, THIRD_PARTY]
        organisation: Annotated[str, OPERATIONAL]
        role: Annotated[str, OPERATIONAL]

        def apply(self, plan: Plan) -> None:
            plan.team[self.member_id] = Member(self.name, self.organisation, self.role)

    class FamilyMeetingHeld(Aggregate.Event):
        held_on: Annotated[str, OPERATIONAL]
        attended: Annotated[list[str], THIRD_PARTY]  # team member ids, and "family"
        consent_reconfirmed: Annotated[bool, OPERATIONAL]
        summary: Annotated[str | None, SPECIAL]

        def apply(self, plan: Plan) -> None:
            plan.meetings.append(
                FamilyMeeting(
                    date.fromisoformat(self.held_on),
                    tuple(self.attended),
                    self.consent_reconfirmed,
                    self.summary,
                )
            )

    class NeedRecorded(Aggregate.Event):
        need_id: Annotated[str, OPERATIONAL]
        text: Annotated[str | None, SPECIAL]

        def apply(self, plan: Plan) -> None:
            plan.needs[self.need_id] = self.text

    class GoalSet(Aggregate.Event):
        goal_id: Annotated[str, OPERATIONAL]
        need_id: Annotated[str, OPERATIONAL]
        text: Annotated[str | None, SPECIAL]

        def apply(self, plan: Plan) -> None:
            plan.goals[self.goal_id] = Goal(self.need_id, self.text)

    class ActionAgreed(Aggregate.Event):
        action_id: Annotated[str, OPERATIONAL]
        goal_id: Annotated[str, OPERATIONAL]
        text: Annotated[str | None, SPECIAL]
        owner: Annotated[str, THIRD_PARTY]
        due_on: Annotated[str, OPERATIONAL]
        intervention: Annotated[str | None, OPERATIONAL]

        def apply(self, plan: Plan) -> None:
            plan.actions[self.action_id] = Action(
                self.goal_id,
                self.text,
                self.owner,
                date.fromisoformat(self.due_on),
                self.intervention,
            )

    class ProgressRecorded(Aggregate.Event):
        goal_id: Annotated[str, OPERATIONAL]
        status: Annotated[str, OPERATIONAL]
        note: Annotated[str | None, SPECIAL]
        recorded_on: Annotated[str, OPERATIONAL]

        def apply(self, plan: Plan) -> None:
            goal = plan.goals[self.goal_id]
            note = ProgressNote(
                Progress(self.status), self.note, date.fromisoformat(self.recorded_on)
            )
            plan.goals[self.goal_id] = replace(goal, progress=(*goal.progress, note))

    class Agreed(Aggregate.Event):
        """The plan agreed with the family and the team."""

        case_id: Annotated[UUID, OPERATIONAL]  # what the published event is keyed by
        agreed_on: Annotated[str, OPERATIONAL]
        review_on: Annotated[str, OPERATIONAL]
        goals: Annotated[int, OPERATIONAL]
        actions: Annotated[int, OPERATIONAL]
        organisations: Annotated[list[str], OPERATIONAL]  # of the team

        def apply(self, plan: Plan) -> None:
            plan.agreed = Agreement(
                date.fromisoformat(self.agreed_on), date.fromisoformat(self.review_on)
            )

    class Reviewed(Aggregate.Event):
        case_id: Annotated[UUID, OPERATIONAL]
        review_number: Annotated[int, OPERATIONAL]
        reviewed_on: Annotated[str, OPERATIONAL]
        outcomes: Annotated[dict[str, str], OPERATIONAL]  # goal id -> met, partly or not-met
        overall: Annotated[str, OPERATIONAL]

        def apply(self, plan: Plan) -> None:
            plan.reviews.append(
                PlanReview(
                    self.review_number,
                    date.fromisoformat(self.reviewed_on),
                    {goal: Outcome(o) for goal, o in self.outcomes.items()},
                    Outcome(self.overall),
                )
            )

    @event(Started)
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.team: dict[str, Member] = {}  # member id -> who
        self.meetings: list[FamilyMeeting] = []
        self.needs: dict[str, str | None] = {}  # need id -> what (None: erased)
        self.goals: dict[str, Goal] = {}
        self.actions: dict[str, Action] = {}
        self.agreed: Agreement | None = None
        self.reviews: list[PlanReview] = []

    @staticmethod
    def create_id(case_id: UUID, **_: object) -> UUID:
        return plan_id_for(case_id)

    # --- commands ---

    def add_member(self, member_id: str, member: Member) -> None:
        if member_id in self.team:
            if self.team[member_id] == member:
                return
            raise PlanRuleBroken(f"member_id: {member_id} is in the team already")
        self.trigger_event(
            self.MemberAdded,
            member_id=member_id,
            name=member.name,
            organisation=member.organisation,
            role=member.role,
        )

    def hold_meeting(self, meeting: FamilyMeeting) -> None:
        unknown = sorted(set(meeting.attended) - set(self.team) - {FAMILY})
        if unknown:
            raise PlanRuleBroken(
                f"attended: {', '.join(unknown)} not in the team (add them first, or say 'family')"
            )
        self.trigger_event(
            self.FamilyMeetingHeld,
            held_on=meeting.held_on.isoformat(),
            attended=list(meeting.attended),
            consent_reconfirmed=meeting.consent_reconfirmed,
            summary=meeting.summary,
        )

    def record_need(self, need_id: str, text: str) -> None:
        if need_id not in self.needs:
            self.trigger_event(self.NeedRecorded, need_id=need_id, text=text)

    def set_goal(self, goal_id: str, need_id: str, text: str) -> None:
        if need_id not in self.needs:
            raise PlanRuleBroken(f"need_id: the plan has no need {need_id}")
        if goal_id not in self.goals:
            self.trigger_event(self.GoalSet, goal_id=goal_id, need_id=need_id, text=text)

    def agree_action(self, action_id: str, action: Action, package_services: set[str]) -> None:
        if action.goal_id not in self.goals:
            raise PlanRuleBroken(f"goal_id: the plan has no goal {action.goal_id}")
        if action.owner not in self.team:
            raise PlanRuleBroken(f"owner: {action.owner} is not in the team around the child")
        if action.intervention is not None and action.intervention not in package_services:
            raise PlanRuleBroken(
                f"intervention: the case's packages have no {action.intervention!r} "
                f"(they have: {', '.join(sorted(package_services)) or 'none'})"
            )
        if action_id not in self.actions:
            self.trigger_event(
                self.ActionAgreed,
                action_id=action_id,
                goal_id=action.goal_id,
                text=action.text,
                owner=action.owner,
                due_on=action.due_on.isoformat(),
                intervention=action.intervention,
            )

    def record_progress(self, goal_id: str, note: ProgressNote) -> None:
        if goal_id not in self.goals:
            raise PlanRuleBroken(f"goal_id: the plan has no goal {goal_id}")
        self.trigger_event(
            self.ProgressRecorded,
            goal_id=goal_id,
            status=note.status.value,
            note=note.note,
            recorded_on=note.recorded_on.isoformat(),
        )

    def agree(self, agreement: Agreement) -> None:
        if not self.goals:
            raise PlanRuleBroken("goals: a plan is agreed with at least one goal")
        without = sorted(g for g in self.goals if not self._actions_of(g))
        if without:
            raise PlanRuleBroken(f"goals: {', '.join(without)} have no action yet")
        if agreement.review_on < agreement.agreed_on:
            raise PlanRuleBroken("review_on: the plan's review comes after it is agreed")
        if self.agreed is None:
            self.trigger_event(
                self.Agreed,
                case_id=self.case_id,
                agreed_on=agreement.agreed_on.isoformat(),
                review_on=agreement.review_on.isoformat(),
                goals=len(self.goals),
                actions=len(self.actions),
                organisations=sorted({m.organisation for m in self.team.values()}),
            )

    def review(self, reviewed_on: date, outcomes: Mapping[str, Outcome]) -> int:
        """The plan's review: an outcome for every goal. Returns the review's number."""
        if self.agreed is None:
            raise PlanRuleBroken("outcomes: the plan has not been agreed, so cannot be reviewed")
        missing = sorted(set(self.goals) - set(outcomes))
        unknown = sorted(set(outcomes) - set(self.goals))
        if missing or unknown:
            parts = [f"no outcome for {', '.join(missing)}"] if missing else []
            parts += [f"no such goal {', '.join(unknown)}"] if unknown else []
            raise PlanRuleBroken("outcomes: " + "; ".join(parts))
        number = len(self.reviews) + 1
        self.trigger_event(
            self.Reviewed,
            case_id=self.case_id,
            review_number=number,
            reviewed_on=reviewed_on.isoformat(),
            outcomes={goal: o.value for goal, o in sorted(outcomes.items())},
            overall=Outcome.overall(list(outcomes.values())).value,
        )
        return number

    def _actions_of(self, goal_id: str) -> list[str]:
        return [a for a, action in self.actions.items() if action.goal_id == goal_id]

    @property
    def latest_review(self) -> PlanReview | None:
        return self.reviews[-1] if self.reviews else None
