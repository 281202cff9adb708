"""A meeting and the cases on its agenda, for those who sit on its panel and auditors (a read
of each case listed is recorded): each item with the interests declared in its case there
and, for those who sit on the panel, its minutes (written about a child: the auditor reads
that they were recorded in the case's timeline, their text withheld)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.evidence.reads import record_reads
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.panel.application.access import sits_on
from services.panel.application.ports import AgendaItem, ReadModel
from services.panel.application.queries.read_meeting import read_meeting
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.minutes import ItemMinutes, item_minutes_id

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


@dataclass(frozen=True)
class Agenda:
    meeting: Meeting
    items: list[AgendaItem]
    cases: dict[UUID, PanelCase] = field(default_factory=dict)  # each case listed
    minutes: dict[UUID, ItemMinutes] = field(default_factory=dict)  # case id -> its item's


def meeting_agenda(
    app: PanelApp, read_model: ReadModel, meeting_id: UUID, caller: Caller
) -> Agenda:
    meeting = read_meeting(app, meeting_id, caller)
    items = read_model.agenda_of(meeting_id)
    record_reads(app, [i.case_id for i in items], caller)
    work = Work(app)
    cases = {i.case_id: c for i in items if isinstance(c := work.find(i.case_id), PanelCase)}
    minutes: dict[UUID, ItemMinutes] = {}
    if sits_on(caller, meeting.ref):
        minutes = {
            i.case_id: m
            for i in items
            if isinstance(m := work.find(item_minutes_id(meeting_id, i.case_id)), ItemMinutes)
        }
    return Agenda(meeting, items, cases, minutes)
