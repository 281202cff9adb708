"""Release a case's legal hold (the data protection officer), saying why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands import handlers
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class ReleaseLegalHold(Command):
    action: ClassVar[Action | None] = Action.PRIVACY
    case_id: UUID
    reason: str


@handlers(ReleaseLegalHold)
def release_legal_hold(app: ReferralApp, c: ReleaseLegalHold, work: Work[ReferralApp]) -> Referral:
    referral = work.get_as(c.case_id, Referral, "referral")
    referral.release_legal_hold(c.reason)
    work.add(referral)
    return referral
