"""A meeting and the cases on its agenda, for those who sit on its panel and auditors (a read
of each case listed is recorded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.evidence.reads import record_reads
from maag.runtime.web.auth import Caller
from services.panel.application.ports import AgendaItem, ReadModel
from services.panel.application.queries.read_meeting import read_meeting
from services.panel.domain.meeting import Meeting

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


@dataclass(frozen=True)
class Agenda:
    meeting: Meeting
    items: list[AgendaItem]


def meeting_agenda(
    app: PanelApp, read_model: ReadModel, meeting_id: UUID, caller: Caller
) -> Agenda:
    meeting = read_meeting(app, meeting_id, caller)
    items = read_model.agenda_of(meeting_id)
    record_reads(app, [i.case_id for i in items], caller)
    return Agenda(meeting, items)
