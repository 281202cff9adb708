"""Read one referral: where it stands, and the child's details for those the policy lets
read them (the read recorded on the case, with whether it showed them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.events.referral import ChildDetails, ConsentGiven
from contracts.reference import SocialCareAnswer, SocialCareRoute
from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.application.access import (
    load,
    scope_of,
    sees_personal_data,
    visible_offers,
)
from services.referral.application.queries.list_referrals import EndingView, ending_of
from services.referral.domain.referral import Referral
from services.referral.domain.values import MatchStatus, Status

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class FrontDoorView(BaseModel):
    """The case's referral to children's social care's front door, and its answer."""

    route: SocialCareRoute
    reason: str
    sent_at: datetime
    answer: SocialCareAnswer | None
    answered_at: datetime | None
    answer_reason: str | None = Field(description="Only for readers of the child's details.")
    reference: str | None = Field(
        description="Social care's own record of the case: only for readers of the child's details."
    )


class ReferralView(BaseModel):
    case_id: UUID
    status: Status
    reason: str | None
    signposting: str | None
    caf_reference: str | None  # None: erased (as are the needs, harm and transition)
    referring_agency: str
    district: str
    level_of_need: int
    needs: list[str] | None
    agencies_requested: list[str]
    significant_harm_concern: bool | None
    transition: bool | None
    consent: ConsentGiven | None
    consent_reconfirm_by: date | None = Field(
        default=None,
        description="While the case is open, the day the consent in force is due to be "
        "reconfirmed with the family (a year from the day it was given); recording consent "
        "again reconfirms it. Null without consent in force, or once the case is not open.",
    )
    safeguarding_basis_recorded: bool
    child: ChildDetails | None = Field(
        description="Only for those entitled (the referring agency's referrers, the lead "
        "professional as consent allows); null for everyone else, and once erased."
    )
    personal_data_erased: bool = Field(
        default=False,
        description="The child's details were erased (their key destroyed): the decisions stay.",
    )
    child_id: UUID | None = Field(
        default=None,
        description="The child's pseudonymous id in the child index (shared by their referrals "
        "once a match is confirmed); null for a referral received before the index.",
    )
    household_id: UUID | None = Field(default=None, description="Siblings share one.")
    matches_offered: int = Field(
        default=0, description="Children this one may be, waiting to be confirmed or rejected."
    )
    front_door: FrontDoorView | None = Field(
        default=None,
        description="Referred to children's social care's front door: how, why, and its answer.",
    )
    ended: EndingView | None = Field(
        default=None,
        description="How the case ended after triage, if it has: nothing about consent can "
        "change after that.",
    )


def read_referral(
    app: ReferralApp, case_id: UUID, caller: Caller, action: Action = Action.READ_OUTCOME
) -> Referral:
    """The referral, for a caller the policy lets take `action` on it. The read itself is
    recorded on the case, in an aggregate of its own: reads neither grow the referral nor
    conflict with a change to it."""
    return read_case(
        app, caller, action, case_id, load, scope_of, lambda r: sees_personal_data(r, caller)
    )


def referral_view(app: ReferralApp, referral: Referral, caller: Caller) -> ReferralView:
    """The referral as `caller` may see it: the child's details only where the policy lets
    them read those, and only the match offers they may know of."""
    d = referral.details
    offered = [
        m
        for m in visible_offers(Work(app), referral, caller)
        if m.match.status is MatchStatus.OFFERED
    ]
    return ReferralView(
        case_id=referral.id,
        status=referral.status,
        reason=referral.outcome_reason,
        signposting=referral.signposting,
        caf_reference=d.caf_reference,
        referring_agency=d.referring_agency,
        district=d.district,
        level_of_need=d.level_of_need,
        needs=None if d.needs is None else list(d.needs),
        agencies_requested=list(d.agencies_requested),
        significant_harm_concern=d.significant_harm_concern,
        transition=d.transition,
        # who gave it, by name, is the family's: for those who may read the child's details
        consent=(
            referral.consent
            if referral.consent is None or sees_personal_data(referral, caller)
            else referral.consent.model_copy(update={"given_by_name": None})
        ),
        consent_reconfirm_by=referral.consent_reconfirm_by,
        safeguarding_basis_recorded=referral.safeguarding_basis is not None,
        child=app.child(referral) if sees_personal_data(referral, caller) else None,
        personal_data_erased=referral.erased is not None,
        child_id=referral.child_id,
        household_id=referral.household_id,
        matches_offered=len(offered),
        front_door=_front_door(referral, sees_personal_data(referral, caller)),
        ended=EndingView.of(ending_of(referral)),
    )


def _front_door(referral: Referral, personal: bool) -> FrontDoorView | None:
    door = referral.front_door
    if door is None:
        return None
    return FrontDoorView(
        route=door.route,
        reason=door.reason,
        sent_at=door.sent_at,
        answer=door.answer,
        answered_at=door.answered_at,
        answer_reason=door.answer_reason if personal else None,
        reference=door.reference if personal else None,
    )


def view_referral(app: ReferralApp, case_id: UUID, caller: Caller) -> ReferralView:
    """`GET /referrals/{case_id}`."""
    return referral_view(app, read_referral(app, case_id, caller), caller)
