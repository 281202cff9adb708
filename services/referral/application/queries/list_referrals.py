"""List the caller's agency's referrals, newest first: no personal details, so no read is
recorded (each case opened from the list is; a list of 200 would otherwise be 200 permanent
events a call). The referrer's work reads it too: those waiting for consent, and those
declined or ended lately (`statuses`, `since`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.reference import SocialCareAnswer
from maag.runtime import policy
from maag.runtime.policy import Action, CaseScope
from maag.runtime.web.auth import Caller
from services.referral.application.ports import Ending, ListedCase
from services.referral.domain.referral import Referral
from services.referral.domain.values import Ended, Status

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class EndingView(BaseModel):
    how: Ended = Field(
        description="closed-at-panel: the panel closed the case; taken-on-by-social-care: "
        "children's social care's front door took it on"
    )
    on: date
    reason: str | None = Field(
        description="The panel's reason for closing (social care's own words stay with the "
        "referral: open it)."
    )

    @classmethod
    def of(cls, ending: Ending | None) -> EndingView | None:
        if ending is None:
            return None
        return cls(how=Ended(ending.how), on=ending.on, reason=ending.reason)


class ReferralSummary(BaseModel):
    case_id: UUID
    district: str
    caf_reference: str | None  # None: erased
    level_of_need: int
    status: str
    reason: str | None
    received_at: datetime
    updated_at: datetime
    status_since: datetime | None = Field(
        default=None,
        description="Since when the referral stands as `status` says (waiting for consent, "
        "declined, ...); null where the list does not know it (a child's record).",
    )
    ended: EndingView | None = Field(
        default=None, description="How the case ended after triage, if it has."
    )

    @classmethod
    def listed(cls, row: ListedCase) -> ReferralSummary:
        return cls(
            case_id=row.case_id,
            district=row.district,
            caf_reference=row.caf_reference,
            level_of_need=row.level_of_need,
            status=row.status,
            reason=row.reason,
            received_at=row.received_at,
            updated_at=row.updated_at,
            status_since=row.status_since,
            ended=EndingView.of(row.ending),
        )

    @classmethod
    def of(cls, referral: Referral) -> ReferralSummary:
        return cls(
            case_id=referral.id,
            district=referral.district,
            caf_reference=referral.details.caf_reference,
            level_of_need=referral.details.level_of_need,
            status=referral.status,
            reason=referral.outcome_reason,
            received_at=referral.created_on,
            updated_at=referral.modified_on,
            ended=EndingView.of(ending_of(referral)),
        )


def ending_of(referral: Referral) -> Ending | None:
    """How the referral's case ended after triage, as the referral knows it."""
    if referral.closed is not None:
        closed = referral.closed
        return Ending(Ended.CLOSED_AT_PANEL, closed.closed_on, closed.reason)
    door = referral.front_door
    if door is not None and door.answer is SocialCareAnswer.ACCEPTED and door.answered_at:
        return Ending(Ended.TAKEN_ON_BY_SOCIAL_CARE, door.answered_at.date(), None)
    return None


def list_referrals(
    app: ReferralApp,
    caller: Caller,
    statuses: Sequence[Status] = (),
    since: date | None = None,
) -> list[ReferralSummary]:
    """The caller's agency's referrals they may read: only those in `statuses`, if any are
    given; only those whose status changed, or that ended, on or after `since`, if given."""
    policy.require_role(caller, Action.READ_CASE)
    return [
        ReferralSummary.listed(row)
        for row in app.cases.of_agency(
            caller.agency, statuses=[s.value for s in statuses], since=since
        )
        if policy.may_read(caller, _scope(row))
    ]


def _scope(row: ListedCase) -> CaseScope:
    """A listed case's scope, as far as the list knows it (agency and district)."""
    return CaseScope(case_id=row.case_id, agency=row.agency, district=row.district)
