"""The consent to reconfirm on the cases the caller leads, as their lead professional (their
work tray): each open case whose consent in force is due to be reconfirmed with the family
(`services.referral.domain.consent_review`) within four weeks, or is past due; overdue first,
then soonest (a read of each case listed is recorded).

The caller's cases are found through the list's index of each case's current lead (the read
model, which lags the store by moments), then each is read from the store and kept only
while the one access policy still says the caller leads it where the child's details may go
to their agency (`policy.LEAD_SHARED`: named by the panel, the case open, their agency the
referrer's, named by the consent, or under a safeguarding basis): those who may record the
consent again. Another lead's reconfirmation is the referrer's to ask for."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.reference import Role
from maag.runtime import policy
from maag.runtime.evidence.reads import record_reads
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.application.access import scope_of
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp

AHEAD = timedelta(weeks=4)  # how far ahead something due is worth showing


class ConsentDueView(BaseModel):
    """Consent to reconfirm with the family on a case the caller leads."""

    case_id: UUID
    caf_reference: str | None = Field(description="The referral's CAF reference.")
    district: str
    given_on: date = Field(description="The day the consent in force was given.")
    due_on: date = Field(
        description="The day it is due to be reconfirmed: a year from the day it was given."
    )
    overdue: bool = Field(description="The day it was due has passed without a reconfirmation.")


def consent_due(app: ReferralApp, caller: Caller, today: date) -> list[ConsentDueView]:
    """The lead professional's consent to reconfirm (see the module's words)."""
    caller.require(Role.LEAD_PROFESSIONAL, to="see the consent to reconfirm on the cases they lead")
    horizon = today + AHEAD
    work = Work(app)
    found: list[ConsentDueView] = []
    for case_id in app.cases.led_by(caller.user_id):
        referral = work.find(case_id)
        if not isinstance(referral, Referral) or not policy.LEAD_SHARED.holds(
            caller, scope_of(referral)
        ):
            continue  # led by someone else now, closed or paused (the index lags the store)
        due_on = referral.consent_reconfirm_by
        consent = referral.consent
        if due_on is None or consent is None or due_on > horizon:
            continue
        found.append(
            ConsentDueView(
                case_id=case_id,
                caf_reference=referral.details.caf_reference,
                district=referral.district,
                given_on=consent.given_on,
                due_on=due_on,
                overdue=due_on < today,
            )
        )
    record_reads(app, [i.case_id for i in found], caller)
    return sorted(found, key=lambda i: (not i.overdue, i.due_on, str(i.case_id)))
