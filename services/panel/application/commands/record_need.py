"""The lead professional records a need the plan meets (once, however often it is sent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.plans import PlanChange, planning
from services.panel.domain.plan import Plan

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class RecordNeed(PlanChange):
    need_id: str
    text: str


@handlers(RecordNeed)
def record_need(app: PanelApp, c: RecordNeed, work: Work[PanelApp]) -> Plan:
    plan = planning(c, work).plan
    plan.record_need(c.need_id, c.text)
    return plan
