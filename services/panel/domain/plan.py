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

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

PLAN_NAMESPACE = UUID("8b1f6c3e-2d4a-4e59-9c7b-1a2f3e4d5c6b")
OUTCOMES = ("met", "partly", "not-met")


class PlanRuleBroken(Exception):
    """The change does not fit the plan (HTTP 422, naming the field)."""


def plan_id_for(case_id: UUID) -> UUID:
    return uuid5(PLAN_NAMESPACE, str(case_id))


def overall(outcomes: list[str]) -> str:
    """A review's goals taken together, as the panel records a package review's: met when
    every goal was met, not met when none was met even partly, else partly."""
    if outcomes and all(o == "met" for o in outcomes):
        return "met"
    if all(o == "not-met" for o in outcomes):
        return "not-met"
    return "partly"


class Plan(Aggregate):
    class Started(Aggregate.Created):
        case_id: UUID

    class MemberAdded(Aggregate.Event):
        member_id: str
        name: str
        organisation: str
        role: str

    class FamilyMeetingHeld(Aggregate.Event):
        held_on: str
        attended: list[str]  # team member ids, and "family"
        consent_reconfirmed: bool
        summary: str

    class NeedRecorded(Aggregate.Event):
        need_id: str
        text: str

    class GoalSet(Aggregate.Event):
        goal_id: str
        need_id: str
        text: str

    class ActionAgreed(Aggregate.Event):
        action_id: str
        goal_id: str
        text: str
        owner: str
        due_on: str
        intervention: str | None

    class ProgressRecorded(Aggregate.Event):
        goal_id: str
        status: str
        note: str
        recorded_on: str

    class Agreed(Aggregate.Event):
        """The plan agreed with the family and the team."""

        case_id: UUID  # what the published event is keyed by
        agreed_on: str
        review_on: str
        goals: int
        actions: int
        organisations: list[str]  # of the team

    class Reviewed(Aggregate.Event):
        case_id: UUID
        review_number: int
        reviewed_on: str
        outcomes: dict[str, str]  # goal id -> met, partly or not-met
        overall: str

    @event(Started)
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.team: dict[str, dict[str, str]] = {}
        self.meetings: list[dict[str, Any]] = []
        self.needs: dict[str, str] = {}
        self.goals: dict[str, dict[str, Any]] = {}
        self.actions: dict[str, dict[str, Any]] = {}
        self.agreed: dict[str, str] | None = None
        self.reviews: list[dict[str, Any]] = []

    @staticmethod
    def create_id(case_id: UUID, **_: Any) -> UUID:
        return plan_id_for(case_id)

    # --- commands ---

    def add_member(self, member_id: str, name: str, organisation: str, role: str) -> None:
        if member_id in self.team:
            if self.team[member_id] == {"name": name, "organisation": organisation, "role": role}:
                return
            raise PlanRuleBroken(f"member_id: {member_id} is in the team already")
        self._member_added(member_id=member_id, name=name, organisation=organisation, role=role)

    def hold_meeting(
        self, held_on: str, attended: list[str], consent_reconfirmed: bool, summary: str
    ) -> None:
        unknown = sorted(set(attended) - set(self.team) - {"family"})
        if unknown:
            raise PlanRuleBroken(
                f"attended: {', '.join(unknown)} not in the team (add them first, or say 'family')"
            )
        self._meeting_held(
            held_on=held_on,
            attended=attended,
            consent_reconfirmed=consent_reconfirmed,
            summary=summary,
        )

    def record_need(self, need_id: str, text: str) -> None:
        if need_id not in self.needs:
            self._need_recorded(need_id=need_id, text=text)

    def set_goal(self, goal_id: str, need_id: str, text: str) -> None:
        if need_id not in self.needs:
            raise PlanRuleBroken(f"need_id: the plan has no need {need_id}")
        if goal_id not in self.goals:
            self._goal_set(goal_id=goal_id, need_id=need_id, text=text)

    def agree_action(
        self,
        action_id: str,
        goal_id: str,
        text: str,
        owner: str,
        due_on: str,
        intervention: str | None,
        package_services: set[str],
    ) -> None:
        if goal_id not in self.goals:
            raise PlanRuleBroken(f"goal_id: the plan has no goal {goal_id}")
        if owner not in self.team:
            raise PlanRuleBroken(f"owner: {owner} is not in the team around the child")
        if intervention is not None and intervention not in package_services:
            raise PlanRuleBroken(
                f"intervention: the case's packages have no {intervention!r} "
                f"(they have: {', '.join(sorted(package_services)) or 'none'})"
            )
        if action_id not in self.actions:
            self._action_agreed(
                action_id=action_id,
                goal_id=goal_id,
                text=text,
                owner=owner,
                due_on=due_on,
                intervention=intervention,
            )

    def record_progress(self, goal_id: str, status: str, note: str, recorded_on: str) -> None:
        if goal_id not in self.goals:
            raise PlanRuleBroken(f"goal_id: the plan has no goal {goal_id}")
        self._progress_recorded(goal_id=goal_id, status=status, note=note, recorded_on=recorded_on)

    def agree(self, agreed_on: str, review_on: str) -> None:
        if not self.goals:
            raise PlanRuleBroken("goals: a plan is agreed with at least one goal")
        without = sorted(g for g in self.goals if not self._actions_of(g))
        if without:
            raise PlanRuleBroken(f"goals: {', '.join(without)} have no action yet")
        if review_on < agreed_on:
            raise PlanRuleBroken("review_on: the plan's review comes after it is agreed")
        if self.agreed is None:
            self._agreed(
                case_id=self.case_id,
                agreed_on=agreed_on,
                review_on=review_on,
                goals=len(self.goals),
                actions=len(self.actions),
                organisations=sorted({m["organisation"] for m in self.team.values()}),
            )

    def review(self, reviewed_on: str, outcomes: dict[str, str]) -> int:
        """The plan's review: an outcome for every goal. Returns the review's number."""
        if self.agreed is None:
            raise PlanRuleBroken("outcomes: the plan has not been agreed, so cannot be reviewed")
        missing = sorted(set(self.goals) - set(outcomes))
        unknown = sorted(set(outcomes) - set(self.goals))
        if missing or unknown:
            raise PlanRuleBroken(
                "outcomes: "
                + "; ".join(
                    part
                    for part in (
                        f"no outcome for {', '.join(missing)}" if missing else "",
                        f"no such goal {', '.join(unknown)}" if unknown else "",
                    )
                    if part
                )
            )
        number = len(self.reviews) + 1
        self._reviewed(
            case_id=self.case_id,
            review_number=number,
            reviewed_on=reviewed_on,
            outcomes=dict(sorted(outcomes.items())),
            overall=overall(list(outcomes.values())),
        )
        return number

    def _actions_of(self, goal_id: str) -> list[str]:
        return [a for a, action in self.actions.items() if action["goal_id"] == goal_id]

    @property
    def latest_review(self) -> dict[str, Any] | None:
        return self.reviews[-1] if self.reviews else None

    # --- events ---

    @event(MemberAdded)
    def _member_added(self, member_id: str, name: str, organisation: str, role: str) -> None:
        self.team[member_id] = {"name": name, "organisation": organisation, "role": role}

    @event(FamilyMeetingHeld)
    def _meeting_held(
        self, held_on: str, attended: list[str], consent_reconfirmed: bool, summary: str
    ) -> None:
        self.meetings.append(
            {
                "held_on": held_on,
                "attended": attended,
                "consent_reconfirmed": consent_reconfirmed,
                "summary": summary,
            }
        )

    @event(NeedRecorded)
    def _need_recorded(self, need_id: str, text: str) -> None:
        self.needs[need_id] = text

    @event(GoalSet)
    def _goal_set(self, goal_id: str, need_id: str, text: str) -> None:
        self.goals[goal_id] = {"need_id": need_id, "text": text, "progress": []}

    @event(ActionAgreed)
    def _action_agreed(
        self,
        action_id: str,
        goal_id: str,
        text: str,
        owner: str,
        due_on: str,
        intervention: str | None,
    ) -> None:
        self.actions[action_id] = {
            "goal_id": goal_id,
            "text": text,
            "owner": owner,
            "due_on": due_on,
            "intervention": intervention,
        }

    @event(ProgressRecorded)
    def _progress_recorded(self, goal_id: str, status: str, note: str, recorded_on: str) -> None:
        self.goals[goal_id]["progress"].append(
            {"status": status, "note": note, "recorded_on": recorded_on}
        )

    @event(Agreed)
    def _agreed(
        self,
        case_id: UUID,
        agreed_on: str,
        review_on: str,
        goals: int,
        actions: int,
        organisations: list[str],
    ) -> None:
        self.agreed = {"agreed_on": agreed_on, "review_on": review_on}

    @event(Reviewed)
    def _reviewed(
        self,
        case_id: UUID,
        review_number: int,
        reviewed_on: str,
        outcomes: dict[str, str],
        overall: str,
    ) -> None:
        self.reviews.append(
            {
                "review_number": review_number,
                "reviewed_on": reviewed_on,
                "outcomes": outcomes,
                "overall": overall,
            }
        )
