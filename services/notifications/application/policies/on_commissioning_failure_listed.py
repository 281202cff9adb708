"""An agreed package could not be commissioned and the case is listed again: the lead
professional and the panel's coordinator are told, once each."""

from __future__ import annotations

from contracts.events.panel import CommissioningFailureListed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies import ask
from services.notifications.domain.values import Recipient, Template, panel_label


def coordinator_contact(panel_key: str) -> str:
    """The directory entry of a panel's coordinator (e.g. `coordinator:maag:harlow`)."""
    return f"coordinator:{panel_key}"


def on_commissioning_failure_listed(
    d: Delivery[CommissioningFailureListed], work: Work[NotificationsApp]
) -> None:
    e = d.message
    panel = e.panel.value if e.district is None else f"{e.panel.value}:{e.district.value}"
    context = {
        "panel": panel_label(e.panel),
        "reason": e.reason,
        "detail": e.detail,
        "meeting_date": e.meeting_starts_at.date().isoformat(),
    }
    coordinator = work.app.email_of(coordinator_contact(panel))
    recipients = [Recipient(str(e.lead_professional_email))] if e.lead_professional_email else []
    recipients.append(Recipient.found(coordinator, "coordinator", panel))
    for recipient in recipients:
        ask(d, work, Template.PACKAGE_NOT_COMMISSIONED, recipient, context)
