"""Read a case's data protection record (the data protection officer; the read recorded):
how it ended for the retention schedule and when its details may be erased, its erasure,
legal hold and closure."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.web.auth import Caller
from services.referral.application.access import load, scope_of
from services.referral.application.queries.retention_due import Retention, retention_of
from services.referral.domain.referral import Referral
from services.referral.domain.retention import RetentionOutcome
from services.referral.domain.values import Closure, Erasure, LegalHold, Status

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class PrivacyView(BaseModel):
    case_id: UUID
    district: str
    caf_reference: str | None = Field(description="None: erased.")
    status: Status
    ended_as: RetentionOutcome | None = Field(
        description="How the case ended, for the retention schedule."
    )
    personal_data_erased: Erasure | None
    legal_hold: LegalHold | None
    closed: Closure | None
    retention: Retention | None = Field(
        default=None,
        description="When the retention schedule lets the details be erased (None: the case "
        "is open, its details are erased, or its rule's date of birth is not known).",
    )

    @classmethod
    def of(cls, referral: Referral, retention: Retention | None = None) -> PrivacyView:
        return cls(
            case_id=referral.id,
            district=referral.district,
            # erased with the child's details (even in the erasure's own answer)
            caf_reference=None if referral.erased else referral.details.caf_reference,
            status=referral.status,
            ended_as=referral.ended_as,
            personal_data_erased=referral.erased,
            legal_hold=referral.hold,
            closed=referral.closed,
            retention=retention,
        )


def privacy_state(app: ReferralApp, case_id: UUID, caller: Caller) -> Referral:
    """The case as the data protection officer sees it (the read recorded)."""
    return read_case(app, caller, Action.PRIVACY, case_id, load, scope_of)


def privacy_record(app: ReferralApp, case_id: UUID, caller: Caller) -> PrivacyView:
    referral = privacy_state(app, case_id, caller)
    return PrivacyView.of(referral, retention_of(app, referral))
