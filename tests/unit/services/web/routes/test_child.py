"""The child and family record on screens: an unborn child's case page (due, not born, with
"Record the birth" for those who may), the birth recorded on its own page (errors beside
their fields, the service's refusals too), the record's other answers and its parents and
carers; the matches page's certainty; and the referral form's new questions."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from markupsafe import escape

from services.web.pages import today
from tests.unit.services.web.stand_ins import Provider, Services, sign_in

CASE = uuid.UUID("5b0e7f7a-9d41-4c1e-8f3a-2b6c1d0e9a11")
API = f"http://referral.test/referrals/{CASE}"
PANEL = f"http://panel.test/cases/{CASE}"
UNBORN = {
    "given_name": "Baby",
    "family_name": "Okafor",
    "date_of_birth": None,
    "expected_date_of_delivery": "2027-03-14",
    "address": "4 Mill Road, Harlow",
    "sex": None,
    "ethnicity": "black-african",
    "first_language": "Yoruba",
    "disability": None,
    "sen": None,
    "nhs_number": None,
    "upn": None,
    "school_urn": None,
    "gp_practice": "F81001",
    "parents_carers": [
        {
            "name": "Amara Okafor",
            "relationship": "mother",
            "parental_responsibility": True,
            "may_contact": True,
            "phone": "07700 900123",
            "email": None,
            "address": None,
        },
        {
            "name": "Kofi Okafor",
            "relationship": "father",
            "parental_responsibility": False,
            "may_contact": False,
            "phone": None,
            "email": None,
            "address": "9 Elm Close, Epping",
        },
    ],
}
BORN = {
    **UNBORN,
    "given_name": "Adaeze",
    "date_of_birth": "2027-03-02",
    "expected_date_of_delivery": None,
    "sex": "female",
    "nhs_number": "9434765919",
    "disability": False,
}
CASE_VIEW = {
    "case_id": str(CASE),
    "status": "active",
    "panel": "maag",
    "district": "harlow",
    "level_of_need": 3,
    "lead_professional": None,
    "packages": {},
}


def _referral(child: dict[str, Any] | None, **more: Any) -> dict[str, Any]:
    return {
        "case_id": str(CASE),
        "status": "accepted",
        "caf_reference": "CAF-2027-000321",
        "referring_agency": "primary-health",
        "district": "harlow",
        "level_of_need": 3,
        "agencies_requested": ["camhs", "childrens-centres"],
        "consent": None,
        "safeguarding_basis_recorded": False,
        "child": child,
        "child_id": "2ce7cda8-6784-5222-ba53-5aaa8e1a29ca",
        "matches_offered": 0,
        **more,
    }


def _signed_in(
    web: TestClient, provider: Provider, services: Services, *roles: str, user: str = "midwife-1"
) -> str:
    csrf = sign_in(web, provider, user, *(roles or ("referrer",)))
    services.sent.clear()  # the home page's tray asked already
    return csrf


def _case(services: Services, child: dict[str, Any] | None) -> None:
    services.answer("GET", PANEL, 200, CASE_VIEW)
    services.answer("GET", f"{PANEL}/history", 200, [])
    services.answer("GET", API, 200, _referral(child))


def _beside(page: str, field: str, message: str) -> None:
    """The message in the error summary, linked to its field, and beside the field."""
    assert "There is a problem" in page
    assert f'href="#{field}"' in page, page
    assert page.count(str(escape(message))) >= 2, page


def _posts(services: Services) -> list[Any]:
    return [r for r in services.sent if r.method == "POST" and "referral.test" in str(r.url)]


# --- the case page -------------------------------------------------------------------------


def test_an_unborn_child_s_case_shows_when_they_are_due_and_how_to_record_the_birth(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    _case(services, UNBORN)
    page = web.get(f"/cases/{CASE}").text
    assert "Expected date of delivery" in page and "14 March 2027" in page
    assert "Not yet born" in page and "Date of birth" not in page
    assert f'href="/referrals/{CASE}/birth">Record the birth</a>' in page
    # the record's other answers, in words
    assert "Black or Black British: African" in page and "Yoruba" in page and "F81001" in page
    # the parents and carers, each with how (and whether) to reach them
    assert "Parents and carers" in page
    for said in ("Amara Okafor", "Mother", "07700 900123", "Kofi Okafor", "9 Elm Close, Epping"):
        assert said in page, said
    assert "No: do not contact" in page
    # the lead may record it too; a panel member sees the case but not the child's record
    _signed_in(web, provider, services, "lead-professional", user="lead-1")
    assert "Record the birth" in web.get(f"/cases/{CASE}").text
    _signed_in(web, provider, services, "panel-member", user="member-1")
    _case(services, None)
    assert "Record the birth" not in web.get(f"/cases/{CASE}").text


def test_a_born_child_s_case_shows_the_date_of_birth_and_no_birth_to_record(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    _case(services, BORN)
    page = web.get(f"/cases/{CASE}").text
    assert "Date of birth" in page and "2 March 2027" in page
    assert "Expected date of delivery" not in page and "Record the birth" not in page
    assert "943 476 5919" in page and "Female" in page
    assert re.search(r"Disability\s*</dt>\s*<dd[^>]*>\s*No\s*</dd>", page)


def test_a_child_recorded_before_the_record_grew_shows_as_before(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    old = {"given_name": "Tia", "family_name": "Brook", "date_of_birth": "2014-07-03"}
    _case(services, {**old, "address": "2 Lane"})
    page = web.get(f"/cases/{CASE}").text
    assert "Tia Brook" in page and "3 July 2014" in page
    for absent in ("Disability", "Parents and carers", "Record the birth", "NHS number"):
        assert absent not in page, absent


def test_the_front_door_sees_an_unborn_child_due_and_their_carers(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services, "front-door", user="mash-1")
    services.answer("GET", API, 200, _referral(UNBORN, front_door=None))
    page = web.get(f"/front-door/{CASE}").text
    assert "Expected date of delivery" in page and "14 March 2027" in page
    assert "Amara Okafor" in page
    assert "Record the birth" not in page  # not theirs to record


# --- the birth -----------------------------------------------------------------------------


def test_the_birth_page_asks_for_the_birth_of_a_child_referred_before_it(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral(UNBORN))
    page = web.get(f"/referrals/{CASE}/birth")
    assert page.status_code == 200
    assert "<title>Record the birth: CAF-2027-000321 \u2013 MAAG</title>" in page.text
    assert "due 14 March 2027" in page.text
    assert f'action="/referrals/{CASE}/birth"' in page.text
    assert 'name="date_of_birth-day"' in page.text and 'id="nhs_number"' in page.text
    assert re.search(r'id="given_name"[^>]*value="Baby"', page.text)  # to keep or change
    services.answer("GET", API, 200, _referral(BORN))
    page = web.get(f"/referrals/{CASE}/birth")
    assert "birth is recorded already: born 2 March 2027" in page.text
    assert f'action="/referrals/{CASE}/birth"' not in page.text


def test_the_birth_is_sent_once_with_the_nhs_number_s_spaces_dropped_then_the_case(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services, "lead-professional", user="lead-1")
    services.answer("POST", f"{API}/birth", 200, _referral(BORN))
    born = today() - timedelta(days=1)
    form = {
        "csrf_token": csrf,
        "idempotency_key": "0123456789abcdef",
        "date_of_birth-day": str(born.day),
        "date_of_birth-month": str(born.month),
        "date_of_birth-year": str(born.year),
        "given_name": " Adaeze ",
        "sex": "female",
        "nhs_number": "943 476 5919",
    }
    done = web.post(f"/referrals/{CASE}/birth", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{CASE}"
    sent = services.one("POST", f"{API}/birth")
    assert sent.headers["Idempotency-Key"] == "web-0123456789abcdef"
    assert json.loads(sent.content) == {
        "date_of_birth": born.isoformat(),
        "given_name": "Adaeze",
        "sex": "female",
        "nhs_number": "9434765919",
    }
    # a referrer, whom the panel service does not show the case page: back to the referral
    csrf = _signed_in(web, provider, services)
    bare = {**form, "csrf_token": csrf, "given_name": "", "sex": "", "nhs_number": ""}
    done = web.post(f"/referrals/{CASE}/birth", data=bare)
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}"
    assert json.loads(services.one("POST", f"{API}/birth").content) == {
        "date_of_birth": born.isoformat()
    }


def test_a_birth_without_a_date_or_with_a_wrong_nhs_number_is_refused_beside_them(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral(UNBORN))
    again = web.post(
        f"/referrals/{CASE}/birth",
        data={"csrf_token": csrf, "given_name": "Adaeze", "nhs_number": "943 476 5918"},
    )
    assert again.status_code == 400
    _beside(again.text, "date_of_birth", "Enter the date of birth")
    assert "Enter a real NHS number" in again.text and 'href="#nhs_number"' in again.text
    assert 'value="943 476 5918"' in again.text and 'value="Adaeze"' in again.text  # kept
    tomorrow = today() + timedelta(days=1)
    again = web.post(
        f"/referrals/{CASE}/birth",
        data={
            "csrf_token": csrf,
            "date_of_birth-day": str(tomorrow.day),
            "date_of_birth-month": str(tomorrow.month),
            "date_of_birth-year": str(tomorrow.year),
        },
    )
    _beside(again.text, "date_of_birth", "The date of birth must be today or in the past")
    assert _posts(services) == []


def test_the_service_s_refusals_of_a_birth_land_beside_the_fields_they_name(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral(UNBORN))
    born = today() - timedelta(days=1)
    form = {
        "csrf_token": csrf,
        "date_of_birth-day": str(born.day),
        "date_of_birth-month": str(born.month),
        "date_of_birth-year": str(born.year),
        "nhs_number": "9434765919",
    }
    refusal = {
        "detail": "invalid",
        "errors": [{"field": "body.nhs_number", "reason": "Value error, must be 10 digits"}],
    }
    services.answer("POST", f"{API}/birth", 422, refusal)
    again = web.post(f"/referrals/{CASE}/birth", data=form)
    assert again.status_code == 400
    _beside(again.text, "nhs_number", "NHS number: must be 10 digits")
    already = {"detail": "date_of_birth: this child's date of birth is recorded already"}
    services.answer("POST", f"{API}/birth", 409, already)
    again = web.post(f"/referrals/{CASE}/birth", data=form)
    assert again.status_code == 409
    _beside(
        again.text,
        "date_of_birth",
        "Date of birth: this child's date of birth is recorded already",
    )


def test_a_birth_the_service_will_not_let_this_person_record_is_said_plainly(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services, "lead-professional", user="lead-1")
    services.answer("GET", API, 200, _referral(UNBORN))
    born = today() - timedelta(days=1)
    form = {
        "csrf_token": csrf,
        "date_of_birth-day": str(born.day),
        "date_of_birth-month": str(born.month),
        "date_of_birth-year": str(born.year),
    }
    services.answer("POST", f"{API}/birth", 403, {"detail": "forbidden: record the child's birth"})
    again = web.post(f"/referrals/{CASE}/birth", data=form)
    assert again.status_code == 403
    assert "There is a problem" in again.text and "forbidden: record the child" in again.text
    assert "Traceback" not in again.text
    # a child whose record the service does not show this person: no form, a plain 403
    services.answer("GET", API, 200, _referral(None))
    page = web.get(f"/referrals/{CASE}/birth")
    assert page.status_code == 403
    assert "Only the referring agency, and the case&#39;s lead professional" in page.text
    assert 'action="/referrals/' not in page.text
    services.answer("GET", API, 200, _referral(None, personal_data_erased=True))
    assert "were erased" in web.get(f"/referrals/{CASE}/birth").text


def test_the_birth_page_is_not_for_a_commissioner(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services, "commissioner", user="commissioner-1")
    assert web.get(f"/referrals/{CASE}/birth").status_code == 403
    assert services.sent == []


# --- the matches page ----------------------------------------------------------------------


def test_a_match_says_how_sure_it_is_and_what_matched(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    theirs = "d6908081-e6f3-5688-8760-e389420d28a9"
    services.answer("GET", API, 200, _referral(UNBORN))
    offers = [
        {
            "child_id": "18791121-0a47-5efb-8be9-2771bf9d1379",
            "status": "offered",
            "keys_matched": ["nhs-number", "given", "family"],
            "certainty": "certain",
            "referrals": [theirs],
            "referrals_you_cannot_see": 0,
        },
        {
            "child_id": "28791121-0a47-5efb-8be9-2771bf9d1379",
            "status": "offered",
            "keys_matched": ["given-swapped-dob", "family-swapped-dob"],
            "certainty": "likely",
            "referrals": [],
            "referrals_you_cannot_see": 0,
        },
    ]
    services.answer("GET", f"{API}/matches", 200, offers)
    services.answer(
        "GET", f"http://referral.test/referrals/{theirs}", 200, _referral(BORN, case_id=theirs)
    )
    services.answer("GET", "http://referral.test/referrals", 200, [])
    page = web.get(f"/referrals/{CASE}/matches").text
    assert "This referral's child: Baby Okafor, due 14 March 2027, 4 Mill Road" in page
    assert "Adaeze Okafor, born 2 March 2027" in page  # theirs, to compare
    sure = re.findall(r"How sure\s*</dt>\s*<dd[^>]*>\s*([^<]*?)\s*</dd>", page)
    assert sure == ["Certain: same NHS number", "Likely"]
    assert "the same NHS number; first name, last name, each with the date of birth" in page
    assert "first name, last name, with the day and month of birth swapped" in page


# --- the referral form ---------------------------------------------------------------------


def test_the_referral_form_asks_whether_the_child_is_born_and_about_their_family(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    page = web.get("/referrals/new").text
    assert "Is the child born yet?" in page
    assert re.search(r'id="born" name="born" type="radio" value="yes" checked', page)
    assert 'name="dob-day"' in page and 'name="edd-day"' in page
    assert '<option value="black-african">Black or Black British: African</option>' in page
    for name in ("nhs_number", "upn", "school_urn", "gp_practice", "carer_name", "consent_name"):
        assert f'id="{name}"' in page, name
    assert 'name="carer_responsibility"' in page and 'name="carer_contact"' in page


def test_a_pre_birth_referral_s_refusals_land_beside_the_fields_and_keep_the_answers(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    due = today() + timedelta(days=90)
    form = {
        "csrf_token": csrf,
        "caf_reference": "CAF-2027-000321",
        "district": "harlow",
        "given_name": "Baby",
        "family_name": "Okafor",
        "born": "no",
        "edd-day": str(due.day),
        "edd-month": str(due.month),
        "edd-year": str(due.year),
        "address": "4 Mill Road, Harlow",
        "needs": "housing",
        "agencies": ["camhs", "childrens-centres"],
        "level_of_need": "3",
        "significant_harm": "no",
        "consent": "yes",
        "consent_by": "parent-carer",
        "consent_how": "signed form",
        "consent_name": "Someone Else",
        "carer_name": "Amara Okafor",
        "carer_relationship": "mother",
        "carer_responsibility": "yes",
        "carer_contact": "yes",
    }
    refusal = (
        "consent.given_by_name: name the parent or carer who gave consent, as they are "
        "recorded among the child's parents and carers"
    )
    services.answer("POST", "http://referral.test/referrals", 409, {"detail": refusal})
    again = web.post("/referrals", data=form)
    assert again.status_code == 409
    _beside(
        again.text,
        "consent_name",
        "Name of the person who gave consent: name the parent or carer who gave consent, as "
        "they are recorded among the child's parents and carers",
    )
    assert re.search(r'id="born-2" name="born" type="radio" value="no" checked', again.text)
    assert f'name="edd-day" type="text" value="{due.day}"' in again.text  # the answers kept
    sent = json.loads(services.one("POST", "http://referral.test/referrals").content)
    assert sent["child"]["expected_date_of_delivery"] == due.isoformat()
    assert "date_of_birth" not in sent["child"]
    assert sent["child"]["parents_carers"][0]["name"] == "Amara Okafor"
    assert sent["consent"]["given_by_name"] == "Someone Else"
    nhs = {"field": "body.child.nhs_number", "reason": "Value error, must be 10 digits"}
    services.answer("POST", "http://referral.test/referrals", 422, {"detail": "x", "errors": [nhs]})
    again = web.post("/referrals", data={**form, "consent_name": ""})
    assert again.status_code == 400
    _beside(again.text, "nhs_number", "NHS number: must be 10 digits")
