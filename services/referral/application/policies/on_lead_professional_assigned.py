"""The panel named who leads the case: from now they may read it
(`services.referral.application.access`); a reassignment moves that to the new lead at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.panel import LeadProfessionalAssigned
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


def on_lead_professional_assigned(
    d: Delivery[LeadProfessionalAssigned], work: Work[ReferralApp]
) -> None:
    e = d.message
    referral = work.find(e.case_id)
    if isinstance(referral, Referral):  # a case the panel opened elsewhere is not ours
        referral.note_lead_professional(e.professional_id, e.agency.value)
        work.add(referral)
