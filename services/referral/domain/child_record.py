"""The child and family record's rules that reach beyond one field (no I/O): who may give
consent, and an unborn child's record becoming a born child's."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.child import Sex
from contracts.events.referral import ChildDetails, ConsentGiven, ConsentGiver
from contracts.limits import STORED
from services.referral.domain.values import ReferralConflict


def check_consent_giver(child: ChildDetails, consent: ConsentGiven) -> None:
    """Consent names the person who gave it: where the child's parents and carers are
    recorded, a parent's or carer's consent names one of them, as recorded. (Their names are
    the record's; the refusal does not repeat them.)"""
    if consent.given_by is not ConsentGiver.PARENT_CARER or not child.parents_carers:
        return
    names = {_folded(p.name) for p in child.parents_carers}
    if consent.given_by_name is None or _folded(consent.given_by_name) not in names:
        raise ReferralConflict(
            "consent.given_by_name: name the parent or carer who gave consent, as they are "
            "recorded among the child's parents and carers"
        )


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


def stored_child(found: dict[str, Any]) -> ChildDetails:
    """A child's record as sealed: its absent values left out (a date never given is not
    a date refused), and not held again to rules about today (an expected date of delivery
    that was in range when recorded)."""
    present = {k: v for k, v in found.items() if v is not None}
    return ChildDetails.model_validate(present, context={STORED: True})


def sealable(child: ChildDetails) -> dict[str, Any]:
    """The record as it is sealed: what was given, without the values that were not."""
    return child.model_dump(mode="json", exclude_none=True)


BIRTH_RECORDED = "birth recorded"  # why the record changed (`Referral.ChildRecordChanged`)


def born(
    child: ChildDetails,
    date_of_birth: date,
    given_name: str | None,
    sex: Sex | None,
    nhs_number: str | None,
    referred_on: date,
) -> ChildDetails:
    """The unborn child's record as a born child's: the date of birth (not before the day
    they were referred, unborn) instead of the expected date of delivery, with the name, sex
    and NHS number given at birth."""
    if not child.unborn:
        raise ReferralConflict("date_of_birth: this child's date of birth is recorded already")
    if date_of_birth < referred_on:
        raise ReferralConflict(
            f"date_of_birth: the child was referred before birth, on {referred_on}: they "
            "were born on that day or after"
        )
    record = sealable(child)
    record.pop("expected_date_of_delivery", None)
    record["date_of_birth"] = date_of_birth.isoformat()
    for name, value in (("given_name", given_name), ("sex", sex), ("nhs_number", nhs_number)):
        if value is not None:
            record[name] = str(value)
    return ChildDetails.model_validate(record, context={STORED: True})
