"""An attendee confirms their own attendance at a meeting of a panel they sit on, while it
sits (from its start until its window closes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.panel.application.access import SITTING, require_seat
from services.panel.application.commands import handlers
from services.panel.domain.meeting import Meeting

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class ConfirmAttendance(Command):
    """With their own sign-in: the person, agency and position are the caller's, so no one
    can make a meeting quorate on others' behalf."""

    meeting_id: UUID
    name: str


@handlers(ConfirmAttendance)
def confirm_attendance(app: PanelApp, c: ConfirmAttendance, work: Work[PanelApp]) -> Meeting:
    c.caller.require(*SITTING, to="attend its meetings")  # before saying if it exists
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "attend its meetings")
    meeting.require_in_session(app.now(), app.meeting_window, "attendance is confirmed")
    meeting.record_attendance(c.caller.user_id, c.name, c.caller.agency, c.caller.position)
    return meeting
