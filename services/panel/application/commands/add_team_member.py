"""The lead professional adds someone to the Team Around the Child (the same member again
changes nothing; another role for them is refused)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.plans import PlanChange, planning
from services.panel.domain.plan import Plan
from services.panel.domain.values import Member

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class AddMember(PlanChange):
    member_id: str  # their user id
    name: str
    organisation: str
    role: str  # e.g. school nurse


@handlers(AddMember)
def add_team_member(app: PanelApp, c: AddMember, work: Work[PanelApp]) -> Plan:
    plan = planning(c, work).plan
    plan.add_member(c.member_id, Member(c.name, c.organisation, c.role))
    return plan
