"""The lead professional records progress towards a goal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.plans import PlanChange, planning
from services.panel.domain.plan import Plan
from services.panel.domain.values import Progress, ProgressNote

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class RecordProgress(PlanChange):
    goal_id: str
    status: Progress
    note: str = ""
    recorded_on: date


@handlers(RecordProgress)
def record_progress(app: PanelApp, c: RecordProgress, work: Work[PanelApp]) -> Plan:
    plan = planning(c, work).plan
    plan.record_progress(c.goal_id, ProgressNote(c.status, c.note, c.recorded_on))
    return plan
