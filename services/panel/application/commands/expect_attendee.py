"""A coordinator lists who is expected at a meeting; only each attendee's own confirmation
counts toward quorum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.reference import Agency
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.panel.application.access import SITTING, require_seat
from services.panel.application.commands import handlers
from services.panel.domain.meeting import Meeting

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class ExpectAttendee(Command):
    meeting_id: UUID
    person_id: str
    name: str
    agency: Agency


@handlers(ExpectAttendee)
def expect_attendee(app: PanelApp, c: ExpectAttendee, work: Work[PanelApp]) -> Meeting:
    c.caller.require(*SITTING, to="plan its meetings")  # before saying if it exists
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "plan its meetings")
    meeting.expect(c.person_id, c.name, c.agency.value)
    return meeting
