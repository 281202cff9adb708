"""The panel escalated the case or stepped it down (`CaseEscalated`, `CaseSteppedDown`):
who sits on its new tier acts on it here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.panel import CaseEscalated, CaseSteppedDown
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


def on_case_moved(d: Delivery[CaseEscalated | CaseSteppedDown], work: Work[ReferralApp]) -> None:
    e = d.message
    referral = work.find(e.case_id)
    if isinstance(referral, Referral):  # a case the panel opened elsewhere is not ours
        referral.note_tier(e.to_panel.value)
        work.add(referral)
