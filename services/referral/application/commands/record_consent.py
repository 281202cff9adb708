"""Record the consent a parent, carer or young person gave to share, naming the agencies
that may; the referral is triaged again (a waiting one is accepted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from contracts.events.referral import ConsentGiven
from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.access import sees_personal_data
from services.referral.application.commands import handlers
from services.referral.domain.child_record import check_consent_giver
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class RecordConsent(Command):
    action: ClassVar[Action | None] = Action.RECORD_CONSENT
    case_id: UUID
    consent: ConsentGiven


@handlers(RecordConsent)
def record_consent(app: ReferralApp, c: RecordConsent, work: Work[ReferralApp]) -> Referral:
    referral = work.get_as(c.case_id, Referral, "referral")
    # Held to the child's recorded parents and carers by someone who may read them; someone
    # who may not (a panel member) is not told whether a name is one of theirs (no oracle):
    # the name they give is recorded as given.
    child = app.child(referral) if sees_personal_data(referral, c.caller) else None
    if child is not None:
        check_consent_giver(child, c.consent)
    referral.record_consent(c.consent)
    work.add(referral)
    return referral
