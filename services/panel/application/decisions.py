"""What every decision on a listed case shares: the chair records it, sitting on the panel,
as a member of its constitution, in a meeting quorate for the case while it sits (from its
start until its window closes), and is recorded as its actor; the case must be on that
meeting's agenda (the case's own rules say so). Whoever declared an interest in the case at
the meeting and withdrew from its decision counts toward no quorum for it, and may not record
it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.reference import Role
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.panel.application.access import require_seat
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.rules import NotAMember, PanelRuleBroken

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class Decision(Command):
    meeting_id: UUID
    case_id: UUID
    # Required when the case's level of need is outside the tier's threshold.
    justification: str | None = None


@dataclass(frozen=True)
class Sitting:
    """The meeting deciding, and the case it decides on (added to the unit of work)."""

    meeting: Meeting
    case: PanelCase


def in_session(c: Decision, work: Work[PanelApp]) -> Sitting:
    c.caller.require(Role.PANEL_CHAIR, to="record panel decisions")
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "decide for it")
    if not meeting.constitution.may_sit(c.caller.agency, c.caller.position):
        raise NotAMember(
            f"the chair must be a member of the {meeting.panel.value.upper()} "
            f"({meeting.constitution.describe_members()})"
        )
    meeting.require_in_session(work.app.now(), work.app.meeting_window, "decisions are recorded")
    case = work.get_as(c.case_id, PanelCase, "case")
    # those who declared an interest in the case here and withdrew neither count toward the
    # quorum for it nor record its decision
    withdrawn = case.withdrawn_at(meeting.id)
    meeting.require_quorum(work.app.quorum_other_agencies, withdrawn)
    if c.caller.user_id in withdrawn:
        raise PanelRuleBroken(
            "case_id: you declared an interest in this case at this meeting and withdrew from "
            "its decision: another chair of the panel records it"
        )
    work.add(case)
    return Sitting(meeting, case)
