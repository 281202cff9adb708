"""A member declares an interest in a case listed at a meeting of their panel (their
organisation provides to the family, say), before the meeting decides on it, and whether they
withdraw from the decision: then they do not count toward its quorum for that case, and may
not record that decision (`application/decisions.py`). Declared after the decision: refused.
The access policy's `DECLARE_INTEREST` says who; the case's scope is the meeting's tier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime import policy
from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.panel.application.access import item_scope, require_member, require_seat
from services.panel.application.commands import handlers
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class DeclareInterest(Command):
    """With their own sign-in: the person and agency are the caller's."""

    meeting_id: UUID
    case_id: UUID
    name: str
    interest: str
    withdraws: bool


@handlers(DeclareInterest)
def declare_interest(app: PanelApp, c: DeclareInterest, work: Work[PanelApp]) -> PanelCase:
    policy.require_role(c.caller, Action.DECLARE_INTEREST)  # before saying if it exists
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "declare interests at its meetings")
    require_member(c.caller, meeting)
    meeting.require_not_ended(
        app.now(), app.meeting_window, "interests are declared before it ends"
    )
    case = work.get_as(c.case_id, PanelCase, "case")
    policy.require(c.caller, Action.DECLARE_INTEREST, item_scope(case, meeting))
    case.declare_interest(
        meeting, c.caller.user_id, c.name, c.caller.agency, c.interest, c.withdraws
    )
    work.add(case)
    return case
