"""A panel member lists a case their panel holds on one of its meetings that has not ended:
one called for it (an urgent case, a review brought forward) or the next that sits. What
waits for the case at that panel's later meetings is brought with it (`PanelCase.bring_forward`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.panel.application.access import require_seat
from services.panel.application.commands import handlers
from services.panel.application.lookup import meetings_listing
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class ListCase(Command):
    action: ClassVar[Action | None] = Action.LIST_CASE
    meeting_id: UUID
    case_id: UUID
    reason: str


@handlers(ListCase)
def list_case(app: PanelApp, c: ListCase, work: Work[PanelApp]) -> Meeting:
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "list cases on its meetings")
    meeting.require_not_ended(app.now(), app.meeting_window)
    case = work.get_as(c.case_id, PanelCase, "case")
    listing = meetings_listing(work, case)
    case.bring_forward(meeting, c.reason, listing)
    work.add(case, meeting, *listing)
    return meeting
