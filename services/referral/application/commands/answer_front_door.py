"""Children's social care's front door answers a case referred to it: it takes the case on,
or steps it down into the district's MAAG (a significant-harm referral is then triaged for
the MAAG; a panel's case goes back to the panel)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from contracts.reference import SocialCareAnswer
from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands import handlers
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class AnswerFrontDoor(Command):
    action: ClassVar[Action | None] = Action.ANSWER_FRONT_DOOR
    case_id: UUID
    answer: SocialCareAnswer
    reason: str
    reference: str | None = None  # social care's own record of the case


@handlers(AnswerFrontDoor)
def answer_front_door(app: ReferralApp, c: AnswerFrontDoor, work: Work[ReferralApp]) -> Referral:
    referral = work.get_as(c.case_id, Referral, "referral")
    referral.answer_front_door(c.answer, c.reason, c.reference)
    work.add(referral)
    return referral
