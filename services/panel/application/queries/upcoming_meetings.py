"""Upcoming meetings, soonest first: every panel's for auditors, else those of the panels the
caller sits on."""

from __future__ import annotations

from datetime import datetime

from contracts.reference import District, Panel, Role
from maag.runtime.web.auth import Caller
from services.panel.application.access import SITTING, sits_on
from services.panel.application.ports import ReadModel, ScheduledMeeting
from services.panel.domain.schedule import PanelRef


def upcoming_meetings(
    read_model: ReadModel,
    caller: Caller,
    panel: Panel | None,
    district: District | None,
    now: datetime,
) -> list[ScheduledMeeting]:
    caller.require(*SITTING, Role.AUDITOR, to="read meetings")
    found = read_model.upcoming(panel, district, now)
    if caller.has(Role.AUDITOR):
        return found
    return [m for m in found if sits_on(caller, PanelRef(m.panel, m.district))]
