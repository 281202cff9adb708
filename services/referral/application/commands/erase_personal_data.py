"""Erase the child's personal details (the data protection officer): the erasure recorded,
then, once that is committed, the case's data key and the child's match keys destroyed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands import handlers
from services.referral.application.erasure import forget_personal_data
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class ErasePersonalData(Command):
    action: ClassVar[Action | None] = Action.PRIVACY
    case_id: UUID
    reason: str
    today: date


@handlers(ErasePersonalData)
def erase_personal_data(
    app: ReferralApp, c: ErasePersonalData, work: Work[ReferralApp]
) -> Referral:
    """A key destroyed without its record would be an erasure nobody did; a failure after
    the record leaves the key, and the erasure asked again, with a new key, destroys it."""
    referral = work.get_as(c.case_id, Referral, "referral")
    referral.erase_personal_data(c.reason, c.today)
    work.add(referral)

    work.after_commit(lambda: forget_personal_data(app, c.case_id))
    return referral
