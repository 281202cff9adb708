"""A lead professional assigned: they are told, with the case's link, and may read the
emails sent about the case while it is open."""

from __future__ import annotations

from contracts.events.panel import LeadProfessionalAssigned
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.note_lead import NoteLead
from services.notifications.application.policies import ask
from services.notifications.domain.values import Recipient, Template, panel_label


def on_lead_professional_assigned(
    d: Delivery[LeadProfessionalAssigned], work: Work[NotificationsApp]
) -> None:
    e = d.message
    context = {
        "name": e.professional_name,
        "panel": panel_label(e.panel),
        "decided_on": e.occurred_at.date().isoformat(),
    }
    ask(d, work, Template.LEAD_PROFESSIONAL_ASSIGNED, Recipient(str(e.work_email)), context)
    note = NoteLead(
        caller=SERVICE,
        correlation_id=d.correlation_id or str(e.case_id),
        case_id=e.case_id,
        professional_id=e.professional_id,
    )
    work.app.handle(note, work)
