"""A panel referred an open case to children's social care: the referral service, which
holds the child's details, makes the referral to the district's front door."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.panel import CaseReferredToSocialCare
from contracts.reference import SocialCareRoute
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


def on_case_referred_to_social_care(
    d: Delivery[CaseReferredToSocialCare], work: Work[ReferralApp]
) -> None:
    e = d.message
    referral = work.find(e.case_id)
    if isinstance(referral, Referral):  # a case the panel opened elsewhere is not ours
        work.act_as(e.actor.model_dump(mode="json"))  # the chair who recorded it
        # the panel's own reason, whole (the route says it was a panel's decision)
        referral.send_to_front_door(SocialCareRoute.PANEL, e.reason)
        work.add(referral)
