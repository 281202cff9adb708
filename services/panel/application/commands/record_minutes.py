"""The chair minutes a meeting of their panel while it sits (from its start until its window
closes): its general minutes, or one agenda item's (the discussion of a case listed there and
the actions agreed). The access policy's `RECORD_MINUTES` says who; an item's scope is the
case at the meeting's tier, so the chair minutes an item the decision moved on too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime import policy
from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.panel.application.access import item_scope, require_seat
from services.panel.application.commands import handlers
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.minutes import ItemMinutes, item_minutes_id
from services.panel.domain.rules import NotAMember, PanelRuleBroken

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class RecordMinutes(Command):
    """The meeting's general minutes."""

    meeting_id: UUID
    discussion: str
    actions: str = ""


@dataclass(frozen=True, kw_only=True)
class MinuteItem(Command):
    """The minutes of one item: the case listed at the meeting."""

    meeting_id: UUID
    case_id: UUID
    discussion: str
    actions: str = ""


def _sitting(app: PanelApp, caller: Caller, work: Work[PanelApp], meeting_id: UUID) -> Meeting:
    policy.require_role(caller, Action.RECORD_MINUTES)  # before saying if it exists
    meeting = work.get_as(meeting_id, Meeting, "meeting")
    require_seat(caller, meeting.ref, "minute its meetings")
    if not meeting.constitution.may_sit(caller.agency, caller.position):
        raise NotAMember(
            f"the chair must be a member of the {meeting.panel.value.upper()} "
            f"({meeting.constitution.describe_members()})"
        )
    meeting.require_in_session(app.now(), app.meeting_window, "minutes are recorded")
    return meeting


@handlers(RecordMinutes)
def record_minutes(app: PanelApp, c: RecordMinutes, work: Work[PanelApp]) -> Meeting:
    meeting = _sitting(app, c.caller, work, c.meeting_id)
    meeting.record_minutes(c.discussion, c.actions)
    return meeting


@handlers(MinuteItem)
def minute_item(app: PanelApp, c: MinuteItem, work: Work[PanelApp]) -> ItemMinutes:
    meeting = _sitting(app, c.caller, work, c.meeting_id)
    case = work.get_as(c.case_id, PanelCase, "case")
    policy.require(c.caller, Action.RECORD_MINUTES, item_scope(case, meeting))
    if case.id not in meeting.agenda:
        raise PanelRuleBroken("case_id: the case is not on this meeting's agenda")
    found = work.find(item_minutes_id(meeting.id, case.id))
    item = found if isinstance(found, ItemMinutes) else ItemMinutes.start(meeting.id, case.id)
    item.record(c.discussion, c.actions)
    work.add(item)
    return item
