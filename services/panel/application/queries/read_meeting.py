"""A meeting, for those who sit on its panel and auditors."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from contracts.reference import Role
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.panel.application.access import SITTING, require_reader
from services.panel.domain.meeting import Meeting

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def read_meeting(app: PanelApp, meeting_id: UUID, caller: Caller) -> Meeting:
    caller.require(*SITTING, Role.AUDITOR, to="read meetings")  # before saying if it exists
    meeting = Work(app).get_as(meeting_id, Meeting, "meeting")
    require_reader(caller, meeting.ref, "read its meetings")
    return meeting
