"""The panel assigns the case's lead professional (who then owns its plan)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.reference import Agency
from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.decisions import Decision, in_session
from services.panel.domain.case import PanelCase
from services.panel.domain.values import Lead

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class AssignLeadProfessional(Decision):
    professional_id: str
    name: str
    agency: Agency
    work_email: str


@handlers(AssignLeadProfessional)
def assign_lead_professional(
    app: PanelApp, c: AssignLeadProfessional, work: Work[PanelApp]
) -> PanelCase:
    at = in_session(c, work)
    lead = Lead(c.professional_id, c.name, c.agency.value, str(c.work_email))
    at.case.assign_lead_professional(at.meeting, lead, c.justification)
    return at.case
