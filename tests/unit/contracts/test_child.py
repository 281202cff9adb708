"""The child and family record's contract: the national keys' check characters, and a
child either born (a date of birth) or not yet (an expected date of delivery)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.child import nhs_number_valid, upn_check_letter, upn_valid
from contracts.events.referral import ChildDetails, ConsentGiven
from contracts.limits import STORED, earliest_today, latest_today, months_after

CHILD = {"given_name": "Baby", "family_name": "Okafor", "address": "1 High St, Harlow CM20 1AB"}

# Valid NHS numbers: the NHS's own test numbers (9434765919 is the one its documents use).
VALID_NHS = ["9434765919", "4010232137", "9990000026", "9449305552"]
# The same with one digit changed, two swapped, and one whose check would be 10.
INVALID_NHS = [
    "9434765918",
    "9434765991",
    "4010232138",
    "1000000010",
    "943476591",
    "94347659190",
    "0000000000",  # placeholders pass the check, and are no one's number
    "9999999999",
]
# The DfE's example UPN (valid), a temporary UPN (last a letter), and wrong letters.
VALID_UPN = ["B801200005001", "H801200001001"]
INVALID_UPN = ["A801200005001", "B80120000500", "I801200005001", "B8012000050011"]


@pytest.mark.parametrize("number", VALID_NHS)
def test_a_valid_nhs_number_passes_its_modulus_11_check(number: str) -> None:
    assert nhs_number_valid(number)


@pytest.mark.parametrize("number", INVALID_NHS)
def test_an_nhs_number_with_a_wrong_digit_fails_its_check(number: str) -> None:
    assert not nhs_number_valid(number)


def test_a_temporary_upn_checks_its_final_letter_by_its_place_in_the_table() -> None:
    rest = "80120000100A"  # a temporary UPN's serial ends in a letter
    letter = upn_check_letter(rest)
    assert letter is not None and upn_valid(letter + rest)
    assert not upn_valid(letter + "80120000100B")


@pytest.mark.parametrize("upn", VALID_UPN)
def test_a_valid_upn_carries_its_check_letter(upn: str) -> None:
    assert upn_valid(upn)


@pytest.mark.parametrize("upn", INVALID_UPN)
def test_a_upn_with_the_wrong_letter_or_length_fails(upn: str) -> None:
    assert not upn_valid(upn)


def _problems(child: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as refused:
        ChildDetails.model_validate(child)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in refused.value.errors()]


def test_an_invalid_nhs_number_or_upn_is_refused_naming_the_field_and_the_rule() -> None:
    born = {**CHILD, "date_of_birth": "2019-04-03"}
    ((where, why),) = _problems({**born, "nhs_number": "9434765918"})
    assert where == "nhs_number" and "modulus 11" in why
    ((where, why),) = _problems({**born, "upn": "A801200005001"})
    assert where == "upn" and "check letter" in why


def test_a_child_has_a_date_of_birth_or_an_expected_date_of_delivery_not_both() -> None:
    due = (latest_today() + timedelta(days=60)).isoformat()
    assert ChildDetails.model_validate({**CHILD, "expected_date_of_delivery": due}).unborn
    assert not ChildDetails.model_validate({**CHILD, "date_of_birth": "2019-04-03"}).unborn
    for both_or_neither in (
        {**CHILD},
        {**CHILD, "date_of_birth": "2019-04-03", "expected_date_of_delivery": due},
    ):
        ((_, why),) = _problems(both_or_neither)
        assert "date_of_birth" in why and "expected_date_of_delivery" in why
    # null is not a way to leave a date out (the schema says so too)
    assert _problems({**CHILD, "date_of_birth": None, "expected_date_of_delivery": due})


def test_an_expected_delivery_more_than_ten_months_ahead_is_refused() -> None:
    last = months_after(latest_today(), 10)
    ChildDetails.model_validate({**CHILD, "expected_date_of_delivery": last.isoformat()})
    ((where, why),) = _problems(
        {**CHILD, "expected_date_of_delivery": (last + timedelta(days=1)).isoformat()}
    )
    assert where == "expected_date_of_delivery" and "10 months" in why
    overdue = earliest_today() - timedelta(days=29)
    ((where, why),) = _problems({**CHILD, "expected_date_of_delivery": overdue.isoformat()})
    assert where == "expected_date_of_delivery" and "date of birth" in why


def test_a_stored_expected_date_long_past_still_reads() -> None:
    stored = {**CHILD, "expected_date_of_delivery": "2020-01-01"}
    assert _problems(stored)  # refused as new input ...
    child = ChildDetails.model_validate(stored, context={STORED: True})  # ... read as stored
    assert child.unborn


def test_months_after_keeps_the_day_or_takes_the_months_last() -> None:
    from datetime import date

    assert months_after(date(2026, 12, 7), 10) == date(2027, 10, 7)
    assert months_after(date(2026, 4, 30), 10) == date(2027, 2, 28)
    assert months_after(date(2027, 5, 31), 9) == date(2028, 2, 29)


def test_consent_may_name_who_gave_it() -> None:
    consent = ConsentGiven.model_validate(
        {
            "given_by": "parent-carer",
            "scope": ["education"],
            "given_on": "2026-11-01",
            "how_obtained": "signed form",
            "given_by_name": "Ada Okafor",
        }
    )
    assert consent.given_by_name == "Ada Okafor"
