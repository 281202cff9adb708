"""The referral form as the API's body, and the API's refusals against the form's fields."""

from __future__ import annotations

from datetime import date

from services.web.forms import api_errors, referral_body, request_key

TODAY = date(2026, 11, 27)
FULL = {
    "caf_reference": "CAF-1",
    "district": "harlow",
    "given_name": "Tia",
    "family_name": "Brook",
    "dob-day": "3",
    "dob-month": "7",
    "dob-year": "2014",
    "address": "2 Test Lane",
    "needs": "learning\n\n emotional wellbeing ",
    "level_of_need": "3",
    "significant_harm": "no",
    "consent": "yes",
    "consent_by": "parent-carer",
    "consent_how": "signed form",
}


def test_a_complete_form_is_the_apis_body() -> None:
    body, errors = referral_body(FULL, ["camhs", "nonsense"], "education", "referrer-1", TODAY)
    assert not errors
    assert body["child"]["date_of_birth"] == "2014-07-03"
    assert body["needs"] == ["learning", "emotional wellbeing"]
    assert body["agencies_requested"] == ["camhs"]  # only known agencies go on
    assert (body["referring_agency"], body["referring_professional_id"]) == (
        "education",
        "referrer-1",
    )
    assert body["consent"]["scope"] == ["camhs"] and body["consent"]["given_on"] == "2026-11-27"


def test_each_missing_answer_is_named_against_its_field() -> None:
    form = {**FULL, "given_name": " ", "dob-month": "13", "consent_by": ""}
    _, errors = referral_body(form, [], "education", "r", TODAY)
    assert errors.by_field == {
        "given_name": "Enter the first name",
        "dob": "Enter the date of birth as a real date, for example 14 5 2013",
        "consent_by": "Select who gave consent",
    }
    assert errors.summary()[0] == {"text": "Enter the first name", "href": "#given_name"}
    assert errors.summary()[1]["href"] == "#dob-day"  # a date links to its first box


def test_a_date_of_birth_in_the_future_is_refused() -> None:
    _, errors = referral_body({**FULL, "dob-year": "2027"}, [], "education", "r", TODAY)
    assert errors.by_field["dob"] == "Date of birth must be in the past"


def test_the_apis_refusals_land_on_the_forms_fields() -> None:
    errors = api_errors(
        [
            {
                "field": "body.child.given_name",
                "reason": "String should have at most 200 characters",
            },
            {"field": "body.needs.0", "reason": "too long"},
            {"field": "body.something_new", "reason": "is odd"},
        ],
        "invalid request",
    )
    assert errors.by_field == {
        "given_name": "First name: String should have at most 200 characters",
        "needs": "Needs: too long",
    }
    assert errors.other == ["body.something_new: is odd"]
    assert api_errors([], "the referral is refused").other == ["the referral is refused"]


def test_a_form_s_key_is_sent_as_rendered_and_an_unusable_one_is_replaced() -> None:
    key = "0123456789abcdef0123456789abcdef"
    assert request_key({"idempotency_key": key}) == f"web-{key}"
    assert request_key({"idempotency_key": key}) == request_key({"idempotency_key": key})
    for bad in ("", "short", "x" * 65, "a b c d e f g h", "key\r\nX-Evil: 1", "١٢٣٤٥٦٧٨٩"):
        made = request_key({"idempotency_key": bad})
        assert made.startswith("web-") and len(made) == 36 and (not bad or bad not in made)
    assert request_key({}) != request_key({})  # no key: each write is its own
