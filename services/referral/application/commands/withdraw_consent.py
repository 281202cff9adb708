"""Withdraw the consent on record: an accepted case pauses (unless a safeguarding basis
remains) and its lead professional's access ends at once."""

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

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class WithdrawConsent(Command):
    action: ClassVar[Action | None] = Action.CHANGE_CONSENT
    case_id: UUID
    withdrawn_on: date
    reason: str


@handlers(WithdrawConsent)
def withdraw_consent(app: ReferralApp, c: WithdrawConsent, work: Work[ReferralApp]) -> Referral:
    referral = work.get_as(c.case_id, Referral, "referral")
    referral.withdraw_consent(c.withdrawn_on, c.reason)
    work.add(referral)
    return referral
