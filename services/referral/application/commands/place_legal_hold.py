"""Place a legal hold on a case (the data protection officer): nothing of it is erased
until the hold's last day has passed or it is released."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands import handlers
from services.referral.domain.referral import Referral
from services.referral.domain.values import LegalHold

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class PlaceLegalHold(Command):
    action: ClassVar[Action | None] = Action.PRIVACY
    case_id: UUID
    reason: str
    until: date
    today: date


@handlers(PlaceLegalHold)
def place_legal_hold(app: ReferralApp, c: PlaceLegalHold, work: Work[ReferralApp]) -> Referral:
    referral = work.get_as(c.case_id, Referral, "referral")
    referral.place_legal_hold(LegalHold(c.reason, c.until), c.today)
    work.add(referral)
    return referral
