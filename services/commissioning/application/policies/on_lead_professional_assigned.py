"""The panel named the case's lead professional: noted, so they may read its packages and
its providers know whom to contact."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.panel import LeadProfessionalAssigned
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import SERVICE
from services.commissioning.application.commands.note_lead import NoteLead
from services.commissioning.domain.values import LeadContact

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def on_lead_professional_assigned(
    d: Delivery[LeadProfessionalAssigned], work: Work[CommissioningApp]
) -> None:
    e = d.message
    note = NoteLead(
        case_id=e.case_id,
        professional_id=e.professional_id,
        contact=LeadContact(e.professional_name, str(e.work_email)),
        caller=SERVICE,
        correlation_id=d.correlation_id or str(e.case_id),
    )
    work.app.handle(note, work)
