"""A panel's coordinator or chair circulates a meeting's agenda to the panel's members before
its cut-off (a day before the meeting), and again when a case was listed or taken off since.
Each circulation is published (`AgendaCirculated`: the meeting, its panel and start, how many
cases are listed, which circulation it is, never a case); the notifications service emails
each member of the panel's distribution list a link to the meeting. The access policy's
`CIRCULATE_AGENDA` says who: those who sit on the meeting's panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime import policy
from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.panel.application.access import require_member, require_seat
from services.panel.application.commands import handlers
from services.panel.domain.meeting import Meeting

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class CirculateAgenda(Command):
    meeting_id: UUID


@handlers(CirculateAgenda)
def circulate_agenda(app: PanelApp, c: CirculateAgenda, work: Work[PanelApp]) -> Meeting:
    policy.require_role(c.caller, Action.CIRCULATE_AGENDA)  # before saying if it exists
    meeting = work.get_as(c.meeting_id, Meeting, "meeting")
    require_seat(c.caller, meeting.ref, "circulate its meetings' agendas")
    require_member(c.caller, meeting)  # it emails the panel's whole distribution list
    meeting.circulate_agenda(app.now())
    return meeting
