"""A member sends their apologies for a meeting of a panel they sit on, before it or while it
sits: the meeting shows who came, who sent apologies and who is absent."""

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
class SendApologies(Command):
    """With their own sign-in, as attendance is: nobody sends apologies for another."""

    meeting_id: UUID
    name: str


@handlers(SendApologies)
def send_apologies(app: PanelApp, c: SendApologies, work: Work[PanelApp]) -> Meeting:
    c.caller.require(*SITTING, to="send apologies for its meetings")  # before saying if it exists
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "send apologies for its meetings")
    meeting.send_apologies(
        c.caller.user_id,
        c.name,
        c.caller.agency,
        c.caller.position,
        app.now(),
        app.meeting_window,
    )
    return meeting
