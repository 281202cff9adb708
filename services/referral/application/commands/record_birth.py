"""Record the birth of a child referred before birth: their record takes the date of birth
(and the name, sex and NHS number given at birth) instead of the expected date of delivery,
and the child index learns their keys, offering any child they may already be."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from contracts.child import Sex
from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands import handlers
from services.referral.application.erasure import key_for_writing
from services.referral.application.personal import seal
from services.referral.domain.child_record import BIRTH_RECORDED, born, sealable
from services.referral.domain.matching import match_keys, probe_keys
from services.referral.domain.referral import Referral
from services.referral.domain.values import ReferralConflict

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class RecordBirth(Command):
    action: ClassVar[Action | None] = Action.UPDATE_CHILD
    case_id: UUID
    date_of_birth: date
    given_name: str | None = None
    sex: Sex | None = None
    nhs_number: str | None = None


@handlers(RecordBirth)
def record_birth(app: ReferralApp, c: RecordBirth, work: Work[ReferralApp]) -> Referral:
    referral = work.get_as(c.case_id, Referral, "referral")
    key = key_for_writing(app, work, referral, "the child's record can no longer be changed")
    child = app.child(referral)
    if child is None:  # its key is gone (the erasure's event is on its way)
        raise ReferralConflict("case_id: the child's record can no longer be opened")
    referred_on = referral.created_on.date()
    record = born(child, c.date_of_birth, c.given_name, c.sex, c.nhs_number, referred_on)
    sealed = seal(key, c.case_id, sealable(record))
    assert referral.child_id is not None  # every referral since the child index has one
    # indexed again under the born child's keys (the same rows again on a retry)
    offers = app.index.place(c.case_id, referral.child_id, match_keys(record), probe_keys(record))
    referral.change_child_record(sealed, BIRTH_RECORDED, offers)
    work.add(referral)
    return referral
