"""Read the children this referral's child may already be (the read recorded): for each
offer the caller may know of, the child's referrals they can see."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.application.access import visible_offers
from services.referral.application.queries.read_referral import read_referral
from services.referral.domain.matching import Strength
from services.referral.domain.values import MatchStatus

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class MatchOffer(BaseModel):
    child_id: UUID
    status: MatchStatus = Field(description="offered, confirmed or rejected")
    keys_matched: list[str] = Field(
        description=(
            "nhs-number, upn; given, family, postcode (each with the birth date); "
            "given-swapped-dob, family-swapped-dob (the day and month of birth swapped)"
        )
    )
    certainty: Strength = Field(
        description="certain: the same NHS number or UPN (still confirmed by a person)"
    )
    referrals: list[UUID] = Field(description="The child's referrals you can see.")
    referrals_you_cannot_see: int


def matches(app: ReferralApp, case_id: UUID, caller: Caller) -> list[MatchOffer]:
    referral = read_referral(app, case_id, caller, Action.READ_CASE)
    return [
        MatchOffer(
            child_id=seen.match.offer.child_id,
            status=seen.match.status,
            keys_matched=list(seen.match.offer.keys),
            certainty=seen.match.offer.strength,
            referrals=[r.id for r in seen.referrals],
            # only offers whose every referral the caller may read are shown
            referrals_you_cannot_see=0,
        )
        for seen in visible_offers(Work(app), referral, caller)
    ]
