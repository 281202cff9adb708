"""The panel closed the case: its lead professional's access ends, and the time its details
are kept is counted from now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.panel import CaseClosed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


def on_case_closed(d: Delivery[CaseClosed], work: Work[ReferralApp]) -> None:
    e = d.message
    referral = work.find(e.case_id)
    if isinstance(referral, Referral):  # a case the panel opened elsewhere is not ours
        referral.note_closed(e.reason, e.occurred_at.date())
        work.add(referral)
