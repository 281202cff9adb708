"""The meetings of this past week and those to come, soonest first, each with the cases on
its agenda: every panel's for auditors, else those of the panels the caller sits on. (A
meeting stays on the list after it starts: today's, and the week's, are where decisions
are recorded and read back.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from contracts.reference import District, Panel, Role
from maag.runtime.web.auth import Caller
from services.panel.application.access import SITTING, sits_on
from services.panel.application.ports import ReadModel, ScheduledMeeting, Seats
from services.panel.domain.schedule import PanelRef

RECENT = timedelta(days=7)  # how far back the list goes: the week's meetings, held


def upcoming_meetings(
    read_model: ReadModel,
    caller: Caller,
    panel: Panel | None,
    district: District | None,
    now: datetime,
) -> list[ScheduledMeeting]:
    caller.require(*SITTING, Role.AUDITOR, to="read meetings")
    if caller.has(Role.AUDITOR):
        return read_model.upcoming(panel, district, now - RECENT)
    seats = Seats.of(caller)
    found = read_model.upcoming(panel, district, now - RECENT, seats)
    return [m for m in found if sits_on(caller, PanelRef(m.panel, m.district))]
