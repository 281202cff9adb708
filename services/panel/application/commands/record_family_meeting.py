"""The lead professional records a meeting with the family: who came (team members, and
"family"), whether consent was reconfirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.plans import PlanChange, planning
from services.panel.domain.plan import Plan
from services.panel.domain.values import FamilyMeeting

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class RecordMeeting(PlanChange):
    held_on: date
    attended: tuple[str, ...]  # team member ids, and "family"
    consent_reconfirmed: bool
    summary: str = ""


@handlers(RecordMeeting)
def record_family_meeting(app: PanelApp, c: RecordMeeting, work: Work[PanelApp]) -> Plan:
    plan = planning(c, work).plan
    plan.hold_meeting(FamilyMeeting(c.held_on, c.attended, c.consent_reconfirmed, c.summary))
    return plan
