"""The child and family record on the referral form: a child not yet born, the national keys
as people type them, one parent or carer, and the API's refusals of each beside its field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from contracts.child import Ethnicity, Relationship, SenStatus, Sex
from services.web.forms import api_errors, referral_body, refused_errors
from services.web.pages import templates

TODAY = date(2026, 11, 27)
FORM: dict[str, Any] = {
    "caf_reference": "CAF-1",
    "district": "harlow",
    "given_name": "Baby",
    "family_name": "Okafor",
    "dob-day": "",
    "dob-month": "",
    "dob-year": "",
    "address": "2 Test Lane",
    "needs": "housing",
    "level_of_need": "3",
    "significant_harm": "no",
    "consent": "yes",
    "consent_by": "parent-carer",
    "consent_how": "signed form",
}
UNBORN = {**FORM, "born": "no", "edd-day": "14", "edd-month": "3", "edd-year": "2027"}
CARER = {
    "carer_name": "Amara Okafor",
    "carer_relationship": "mother",
    "carer_responsibility": "yes",
    "carer_contact": "no",
    "carer_phone": "07700 900123",
    "carer_email": "",
}


def _body(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    body, errors = referral_body(form, ["camhs"], "primary-health", "midwife-1", TODAY)
    return dict(body), errors.by_field


def test_an_unborn_child_has_an_expected_date_of_delivery_and_no_date_of_birth() -> None:
    body, errors = _body(UNBORN)
    assert errors == {}
    assert body["child"]["expected_date_of_delivery"] == "2027-03-14"
    assert "date_of_birth" not in body["child"]


def test_a_born_child_is_the_default_and_has_no_expected_date() -> None:
    born = {**FORM, "dob-day": "3", "dob-month": "7", "dob-year": "2014", "edd-day": "14"}
    body, errors = _body(born)
    assert errors == {}
    assert body["child"]["date_of_birth"] == "2014-07-03"
    assert "expected_date_of_delivery" not in body["child"]


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("", "", "", "Enter the expected date of delivery as a real date, for example 14 5 2027"),
        ("28", "9", "2027", "Expected date of delivery must be within 10 months from today"),
        (
            "29",
            "10",
            "2026",
            "Expected date of delivery must be no more than 28 days ago: for a child already "
            "born, say so and give the date of birth",
        ),
    ],
)
def test_an_expected_date_of_delivery_outside_the_window_is_refused_beside_it(
    day: str, month: str, year: str, message: str
) -> None:
    _, errors = _body({**UNBORN, "edd-day": day, "edd-month": month, "edd-year": year})
    assert errors == {"edd": message}


def test_the_window_s_ends_are_accepted() -> None:
    for day, month, year in (("27", "9", "2027"), ("30", "10", "2026")):
        _, errors = _body({**UNBORN, "edd-day": day, "edd-month": month, "edd-year": year})
        assert errors == {}, (day, month, year)


def test_the_national_keys_are_sent_without_the_spaces_people_type() -> None:
    typed = {
        **UNBORN,
        "nhs_number": " 943 476 5919 ",
        "upn": "p 8123 4567 8901",
        "school_urn": "115 052",
        "gp_practice": "f81001",
    }
    body, errors = _body(typed)
    assert errors == {}
    child = body["child"]
    assert child["nhs_number"] == "9434765919"
    assert (child["upn"], child["school_urn"], child["gp_practice"]) == (
        "P812345678901",
        "115052",
        "F81001",
    )


def test_a_national_key_that_cannot_be_one_is_refused_beside_its_field() -> None:
    _, errors = _body(
        {**UNBORN, "nhs_number": "943 476 5918", "upn": "A81234567890", "school_urn": "012345"}
    )
    assert set(errors) == {"nhs_number", "upn", "school_urn"}
    assert errors["nhs_number"].startswith("Enter a real NHS number: 10 digits")


def test_the_optional_answers_are_sent_only_when_given() -> None:
    body, _ = _body(UNBORN)
    assert set(body["child"]) == {
        "given_name",
        "family_name",
        "expected_date_of_delivery",
        "address",
    }
    answered = {
        **UNBORN,
        "sex": "not-known",
        "ethnicity": "black-african",
        "first_language": " Yoruba ",
        "disability": "no",
        "sen": "not-known",  # said, but not an answer the record keeps
    }
    body, errors = _body(answered)
    assert errors == {}
    child = body["child"]
    assert (child["sex"], child["ethnicity"], child["first_language"]) == (
        "not-known",
        "black-african",
        "Yoruba",
    )
    assert child["disability"] is False and "sen" not in child
    _, errors = _body({**UNBORN, "ethnicity": "martian", "sen": "lots"})
    assert set(errors) == {"ethnicity", "sen"}


def test_a_parent_or_carer_is_sent_and_consent_names_them_unless_another_is_named() -> None:
    body, errors = _body({**UNBORN, **CARER})
    assert errors == {}
    assert body["child"]["parents_carers"] == [
        {
            "name": "Amara Okafor",
            "relationship": "mother",
            "parental_responsibility": True,
            "may_contact": False,
            "phone": "07700 900123",
        }
    ]
    assert body["consent"]["given_by_name"] == "Amara Okafor"
    body, _ = _body({**UNBORN, **CARER, "consent_name": "Kofi Okafor"})
    assert body["consent"]["given_by_name"] == "Kofi Okafor"
    body, _ = _body({**UNBORN, **CARER, "consent_by": "young-person"})
    assert "given_by_name" not in body["consent"]  # the young person: their own name if typed
    body, _ = _body(UNBORN)
    assert "parents_carers" not in body["child"] and "given_by_name" not in body["consent"]


def test_a_named_parent_or_carer_needs_their_relationship_and_both_answers() -> None:
    named = {**UNBORN, "carer_name": "Amara Okafor"}
    _, errors = _body(named)
    assert errors == {
        "carer_relationship": "Select the parent or carer's relationship to the child",
        "carer_responsibility": "Say whether they have parental responsibility",
        "carer_contact": "Say whether they may be contacted about the child",
    }
    _, errors = _body({**UNBORN, "carer_phone": "07700 900123"})  # details of no one
    assert errors == {"carer_name": "Enter the parent or carer's name, or leave their details out"}


def test_the_apis_refusals_of_the_record_land_on_the_forms_fields() -> None:
    errors = api_errors(
        [
            {
                "field": "body.child.nhs_number",
                "reason": "Value error, must be 10 digits whose last is the modulus 11 check "
                "digit of the others",
            },
            {"field": "body.child.upn", "reason": "Value error, must be a Unique Pupil Number"},
            {
                "field": "body.child.expected_date_of_delivery",
                "reason": "Value error, must be at most 10 months ahead (by 2027-09-27)",
            },
            {
                "field": "body.child.parents_carers.0.name",
                "reason": "String should have at least 1 character",
            },
            {
                "field": "body.child.parents_carers.0.email",
                "reason": "value is not a valid email address",
            },
            {"field": "body.child.parents_carers", "reason": "List should have at most 6 items"},
            {"field": "body.consent.given_by_name", "reason": "String should have at most 200"},
        ],
        "invalid request",
    )
    assert errors.by_field == {
        "nhs_number": "NHS number: must be 10 digits whose last is the modulus 11 check digit "
        "of the others",
        "upn": "Unique Pupil Number (UPN): must be a Unique Pupil Number",
        "edd": "Expected date of delivery: must be at most 10 months ahead (by 2027-09-27)",
        "carer_name": "Parent or carer's name: String should have at least 1 character",
        "carer_email": "Email address: value is not a valid email address",
        # the consent's name, not who gave it (whose name starts the same)
        "consent_name": "Name of the person who gave consent: String should have at most 200",
    }
    assert errors.other == []
    assert errors.summary()[2]["href"] == "#edd-day"  # a date links to its first box


def test_a_rule_across_the_child_s_fields_lands_on_the_field_it_names() -> None:
    errors = api_errors(
        [
            {
                "field": "body.child",
                "reason": "Value error, date_of_birth: give the date of birth, or for a child "
                "not yet born the expected_date_of_delivery (one of the two)",
            }
        ],
        "invalid request",
    )
    assert list(errors.by_field) == ["dob"]
    assert errors.by_field["dob"].startswith("Date of birth: give the date of birth")


def test_consent_naming_someone_not_among_the_carers_is_refused_beside_the_name() -> None:
    detail = (
        "consent.given_by_name: name the parent or carer who gave consent, as they are "
        "recorded among the child's parents and carers"
    )
    errors = refused_errors(detail)
    assert errors.by_field == {
        "consent_name": "Name of the person who gave consent: name the parent or carer who "
        "gave consent, as they are recorded among the child's parents and carers"
    }
    assert errors.summary() == [{"text": errors.by_field["consent_name"], "href": "#consent_name"}]
    assert refused_errors("a duplicate referral").other == ["a duplicate referral"]


def test_every_code_the_api_takes_has_words_people_read() -> None:
    words = templates().env.get_template("_child.html").module
    for codes, said in (
        (Sex, words.SEX_WORDS),  # type: ignore[attr-defined]
        (Ethnicity, words.ETHNICITY_WORDS),  # type: ignore[attr-defined]
        (SenStatus, words.SEN_WORDS),  # type: ignore[attr-defined]
        (Relationship, words.RELATIONSHIP_WORDS),  # type: ignore[attr-defined]
    ):
        assert list(said) == [c.value for c in codes], codes
    assert words.ETHNICITY_WORDS["black-african"] == "Black or Black British: African"  # type: ignore[attr-defined]
