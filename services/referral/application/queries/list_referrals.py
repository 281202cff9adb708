"""List the caller's agency's referrals, newest first: no personal details, so no read is
recorded (each case opened from the list is; a list of 200 would otherwise be 200 permanent
events a call)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel

from maag.runtime import policy
from maag.runtime.policy import Action, CaseScope
from maag.runtime.web.auth import Caller
from services.referral.application.ports import ListedCase
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class ReferralSummary(BaseModel):
    case_id: UUID
    district: str
    caf_reference: str | None  # None: erased
    level_of_need: int
    status: str
    reason: str | None
    received_at: datetime
    updated_at: datetime

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
        )


def list_referrals(app: ReferralApp, caller: Caller) -> list[ReferralSummary]:
    policy.require_role(caller, Action.READ_CASE)
    return [
        ReferralSummary.listed(row)
        for row in app.cases.of_agency(caller.agency)
        if policy.may_read(caller, _scope(row))
    ]


def _scope(row: ListedCase) -> CaseScope:
    """A listed case's scope, as far as the list knows it (agency and district)."""
    return CaseScope(case_id=row.case_id, agency=row.agency, district=row.district)
