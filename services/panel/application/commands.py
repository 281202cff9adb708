"""The panel's commands: one type and one handler per use case, in a registry. A decision
on a listed case is one command whose kind picks its handler from `DECISIONS`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from contracts.reference import Agency, Panel, Role
from maag.runtime.commands import Command, Handlers
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.panel.application.access import SITTING, case_scope, require_seat
from services.panel.application.decisions import (
    AssignLeadProfessional,
    Close,
    Decision,
    Defer,
    Escalate,
    RequestPackage,
    ReviewPackage,
    StepDown,
)
from services.panel.application.meetings import meeting_at
from services.panel.application.plans import apply, goals_for_review, read_plan
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.plan import Plan, plan_id_for
from services.panel.domain.rules import NotAMember, PanelRuleBroken
from services.panel.domain.schedule import PanelRef, next_meeting

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp

handlers: Handlers[PanelApp] = Handlers(
    "the meeting or case changed while this request was handled; retry", case_scope
)


@dataclass(frozen=True, kw_only=True)
class ScheduleMeeting(Command):
    ref: PanelRef
    starts_at: datetime


@dataclass(frozen=True, kw_only=True)
class ConfirmAttendance(Command):
    """An attendee confirms their own attendance, with their own sign-in: the person and the
    agency are the caller's, so no one can make a meeting quorate on others' behalf."""

    meeting_id: UUID
    name: str


@dataclass(frozen=True, kw_only=True)
class ExpectAttendee(Command):
    """A coordinator lists who is expected; only each attendee's own confirmation counts."""

    meeting_id: UUID
    person_id: str
    name: str
    agency: Agency


@dataclass(frozen=True, kw_only=True)
class Decide(Command):
    meeting_id: UUID
    decision: Decision


@handlers(ScheduleMeeting)
def schedule(app: PanelApp, c: ScheduleMeeting, work: Work) -> Meeting:
    require_seat(c.caller, c.ref, "schedule its meetings")
    if c.starts_at.tzinfo is None:
        raise PanelRuleBroken("starts_at needs a UTC offset")
    return meeting_at(work, c.ref, c.starts_at)


@handlers(ConfirmAttendance)
def confirm_attendance(app: PanelApp, c: ConfirmAttendance, work: Work) -> Meeting:
    c.caller.require(*SITTING, to="attend its meetings")  # before saying if it exists
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "attend its meetings")
    meeting.record_attendance(c.caller.user_id, c.name, c.caller.agency, c.caller.position)
    return meeting


@handlers(ExpectAttendee)
def expect_attendee(app: PanelApp, c: ExpectAttendee, work: Work) -> Meeting:
    c.caller.require(*SITTING, to="plan its meetings")  # before saying if it exists
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "plan its meetings")
    meeting.expect(c.person_id, c.name, c.agency.value)
    return meeting


@handlers(Decide)
def decide(app: PanelApp, c: Decide, work: Work) -> PanelCase:
    # The chair records the panel's decision, and is recorded as its actor.
    c.caller.require(Role.PANEL_CHAIR, to="record panel decisions")
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "decide for it")
    if not meeting.constitution.may_sit(c.caller.agency, c.caller.position):
        raise NotAMember(
            f"the chair must be a member of the {meeting.panel.value.upper()} "
            f"({meeting.constitution.describe_members()})"
        )
    meeting.require_quorum(app.quorum_other_agencies)
    case = work.get_as(c.decision.case_id, PanelCase, "case")
    work.add(case)
    DECISIONS[type(c.decision)](c.decision, case, meeting, work, c)
    return case


def _assign(d: Any, case: PanelCase, meeting: Meeting, work: Work, c: Decide) -> None:
    case.assign_lead_professional(
        meeting,
        d.professional_id,
        d.name,
        d.agency.value,
        str(d.work_email),
        d.justification,
    )


def _request_package(d: Any, case: PanelCase, meeting: Meeting, work: Work, c: Decide) -> None:
    interventions = [i.model_dump(mode="json") for i in d.interventions]
    case.request_package(
        meeting,
        interventions,
        d.justification,
        [a.value for a in d.alternative_to],
        [(s.agency, s.percent) for s in d.funding_split],
    )


def _move(up: bool) -> DecisionHandler:
    def move(d: Any, case: PanelCase, meeting: Meeting, work: Work, c: Decide) -> None:
        target_ref = case.ref_for(Panel(d.to))
        target = meeting_at(work, target_ref, next_meeting(target_ref, meeting.starts_at))
        to = case.escalate if up else case.step_down
        to(meeting, Panel(d.to), d.reason, d.justification, target)

    return move


def _review(d: Any, case: PanelCase, meeting: Meeting, work: Work, c: Decide) -> None:
    case.review_package(
        meeting,
        d.package_id,
        goals_for_review(read_plan(work, case.id), d.goals),
        d.level_of_need_change,
        d.decision.value,
        [i.model_dump(mode="json") for i in d.interventions],
        d.effective_from or meeting.starts_at.date(),
        d.reason,
    )


def _defer(d: Any, case: PanelCase, meeting: Meeting, work: Work, c: Decide) -> None:
    target = meeting_at(work, meeting.ref, next_meeting(meeting.ref, meeting.starts_at))
    case.defer(meeting, d.reason, target)


def _close(d: Any, case: PanelCase, meeting: Meeting, work: Work, c: Decide) -> None:
    case.close(meeting, d.reason)


@dataclass(frozen=True, kw_only=True)
class ChangePlan(Command):
    action: ClassVar[Action | None] = Action.CHANGE_PLAN
    case_id: UUID
    change: Any  # one of PlanChange


@handlers(ChangePlan)
def change_plan(app: PanelApp, c: ChangePlan, work: Work) -> Plan:
    """Only the case's current lead professional changes its plan, while the case is open
    (the policy's CHANGE_PLAN, asked by the pipeline)."""
    case = work.get_as(c.case_id, PanelCase, "case")
    found = work.find(plan_id_for(c.case_id))
    plan = found if isinstance(found, Plan) else Plan(case_id=c.case_id)
    apply(plan, c.change, case)
    work.add(plan)
    return plan


DecisionHandler = Callable[[Any, PanelCase, Meeting, Work, Decide], None]
# Each kind of decision, and what recording it does.
DECISIONS: dict[type, DecisionHandler] = {
    AssignLeadProfessional: _assign,
    RequestPackage: _request_package,
    ReviewPackage: _review,
    Escalate: _move(up=True),
    StepDown: _move(up=False),
    Defer: _defer,
    Close: _close,
}
