"""Children's social care's front door: the cases of its districts referred to it (waiting
for its answer, or those it took on too), newest first; a case it stepped down is the MAAG's
and not listed. No personal details, so no read is recorded; each case opened from the list
is."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel

from contracts.reference import SocialCareAnswer, SocialCareRoute
from maag.runtime import policy
from maag.runtime.policy import Action
from maag.runtime.web.auth import Caller
from services.referral.application.ports import FrontDoorCase

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class FrontDoorCaseView(BaseModel):
    case_id: UUID
    district: str
    referring_agency: str
    route: SocialCareRoute
    reason: str
    sent_at: datetime
    answer: SocialCareAnswer | None
    answered_at: datetime | None

    @classmethod
    def of(cls, row: FrontDoorCase) -> FrontDoorCaseView:
        return cls(
            case_id=row.case_id,
            district=row.district,
            referring_agency=row.referring_agency,
            route=SocialCareRoute(row.route),
            reason=row.reason,
            sent_at=row.sent_at,
            answer=SocialCareAnswer(row.answer) if row.answer else None,
            answered_at=row.answered_at,
        )


def front_door_cases(app: ReferralApp, caller: Caller, waiting: bool) -> list[FrontDoorCaseView]:
    policy.require_role(caller, Action.ANSWER_FRONT_DOOR)
    return [
        FrontDoorCaseView.of(row)
        for row in app.cases.at_front_door(waiting)
        if row.district in caller.districts and row.answer != SocialCareAnswer.STEPPED_DOWN
    ]
