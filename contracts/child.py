"""The child and family record's coded values, and the check characters of the two national
keys a child is known by: the NHS number (health) and the Unique Pupil Number (schools).

Each code list is the one the county's returns use: the census 2021 ethnic groups (as the
school census and the NHS code them), the SEN provision types of the school census, and the
relationships of the Children in Need census. Each rule is written once, here, and read by
the contract's validators and by the JSON Schema keyword that tells agencies' validators
the same rule (`x-maag-check`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field

CHECK_KEYWORD = "x-maag-check"  # JSON Schema: which check character a string must carry

NHS_NUMBER_PATTERN = r"^[0-9]{10}$"
# A UPN: its check letter, the local authority (3 digits), the school (4), the year (2) and a
# serial (3 digits; a temporary UPN's last is a letter). Never I, O or S (read as 1, 0, 5).
UPN_PATTERN = r"^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]$"
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # the 23 letters, 0-22


class Check(StrEnum):
    NHS_NUMBER = "nhs-number"
    UPN = "upn"


def nhs_number_valid(number: str) -> bool:
    """The NHS number's modulus 11 check: digits 1-9 weighted 10 down to 2; 11 less the
    remainder is the tenth digit (11 is written 0; 10 makes no valid number)."""
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        return False
    if len(set(number)) == 1:  # 0000000000, 9999999999: placeholders, not anyone's number
        return False
    total = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return check != 10 and (check % 11) == int(number[9])


def upn_check_letter(rest: str) -> str | None:
    """The check letter of a UPN's other 12 characters (the DfE's: each weighted by its place,
    2 to 13, a temporary UPN's final letter by its value in the table; the sum modulo 23 in
    the table), or None when they cannot be a UPN's."""
    if len(rest) != 12 or not rest[:11].isascii() or not rest[:11].isdigit():
        return None
    last = rest[11]
    if last.isascii() and last.isdigit():
        last_value = int(last)
    elif last in _UPN_LETTERS:
        last_value = _UPN_LETTERS.index(last)
    else:
        return None
    values = [int(ch) for ch in rest[:11]] + [last_value]
    return _UPN_LETTERS[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23]


def upn_valid(upn: str) -> bool:
    return len(upn) == 13 and upn_check_letter(upn[1:]) == upn[0]


CHECKS = {Check.NHS_NUMBER: nhs_number_valid, Check.UPN: upn_valid}
RULES = {
    Check.NHS_NUMBER: "must be 10 digits (not all the same) whose last is the modulus 11 check "
    "digit of the others",
    Check.UPN: "must be a Unique Pupil Number: 13 characters whose first is the check letter "
    "of the others",
}


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NOT_KNOWN = "not-known"  # e.g. before birth
    NOT_STATED = "not-stated"


class Ethnicity(StrEnum):
    """The census 2021 ethnic groups (England), as the school census and the NHS code them."""

    ASIAN_BANGLADESHI = "asian-bangladeshi"
    ASIAN_CHINESE = "asian-chinese"
    ASIAN_INDIAN = "asian-indian"
    ASIAN_PAKISTANI = "asian-pakistani"
    ASIAN_OTHER = "asian-other"
    BLACK_AFRICAN = "black-african"
    BLACK_CARIBBEAN = "black-caribbean"
    BLACK_OTHER = "black-other"
    MIXED_WHITE_AND_ASIAN = "mixed-white-and-asian"
    MIXED_WHITE_AND_BLACK_AFRICAN = "mixed-white-and-black-african"
    MIXED_WHITE_AND_BLACK_CARIBBEAN = "mixed-white-and-black-caribbean"
    MIXED_OTHER = "mixed-other"
    WHITE_BRITISH = "white-british"
    WHITE_IRISH = "white-irish"
    WHITE_GYPSY_OR_IRISH_TRAVELLER = "white-gypsy-or-irish-traveller"
    WHITE_ROMA = "white-roma"
    WHITE_OTHER = "white-other"
    ARAB = "arab"
    OTHER = "other"
    NOT_STATED = "not-stated"  # asked, and the family chose not to say


class SenStatus(StrEnum):
    """Special educational needs provision, as the school census records it."""

    NONE = "none"
    SEN_SUPPORT = "sen-support"
    EHC_PLAN = "ehc-plan"  # an education, health and care plan


class Relationship(StrEnum):
    """A parent's or carer's relationship to the child."""

    MOTHER = "mother"
    FATHER = "father"
    STEP_PARENT = "step-parent"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other-relative"
    FOSTER_CARER = "foster-carer"
    SPECIAL_GUARDIAN = "special-guardian"
    OTHER = "other"


def _checked(check: Check) -> AfterValidator:
    def valid(value: str) -> str:
        if not CHECKS[check](value):
            raise ValueError(RULES[check])
        return value

    return AfterValidator(valid)


# The national keys as typed strings: the pattern for every validator, the check character
# for MAAG's and (`x-maag-check`) for agencies' that read the keyword.
NhsNumber = Annotated[
    str,
    Field(
        pattern=NHS_NUMBER_PATTERN,
        max_length=10,
        json_schema_extra={CHECK_KEYWORD: Check.NHS_NUMBER.value},
    ),
    _checked(Check.NHS_NUMBER),
]
Upn = Annotated[
    str,
    Field(pattern=UPN_PATTERN, max_length=13, json_schema_extra={CHECK_KEYWORD: Check.UPN.value}),
    _checked(Check.UPN),
]
# A school by its Unique Reference Number (Get Information about Schools), a GP practice by
# its NHS organisation (ODS) code.
SchoolUrn = Annotated[str, Field(pattern=r"^[1-9][0-9]{5}$", max_length=6)]
GpPractice = Annotated[str, Field(pattern=r"^[A-Z][0-9]{5}$", max_length=6)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ]{5,28}$")]
