"""A panel member schedules one of their panel's meetings, on its programme or called for an
urgent case (`list_case.py`); the same meeting again is the one already scheduled: a
meeting's id is its panel and start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.panel.application.access import require_seat
from services.panel.application.commands import handlers
from services.panel.application.lookup import meeting_at
from services.panel.domain.meeting import Meeting
from services.panel.domain.rules import PanelRuleBroken
from services.panel.domain.schedule import CALL_GRACE, PanelRef

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class ScheduleMeeting(Command):
    ref: PanelRef
    starts_at: datetime


@handlers(ScheduleMeeting)
def schedule_meeting(app: PanelApp, c: ScheduleMeeting, work: Work[PanelApp]) -> Meeting:
    require_seat(c.caller, c.ref, "schedule its meetings")
    if c.starts_at.tzinfo is None:
        raise PanelRuleBroken("starts_at needs a UTC offset")
    meeting = meeting_at(work, c.ref, c.starts_at)
    if meeting.pending_events and c.starts_at < app.now() - CALL_GRACE:
        raise PanelRuleBroken(
            "starts_at: a meeting is called for now or later, not for a time gone by (it "
            "records attendance and decisions only while it sits)"
        )
    return meeting
