"""Children's social care's front door: the cases waiting for it, a case's page with the
child's details, its answer sent to the referral API (or refused, on the page), and nobody
else let in."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in

REFERRAL = "http://referral.test"


def _referral(case_id: uuid.UUID, answer: str | None = None) -> dict[str, object]:
    return {
        "case_id": str(case_id),
        "status": "with-social-care",
        "reason": None,
        "signposting": None,
        "caf_reference": "CAF-7",
        "referring_agency": "education",
        "district": "epping-forest",
        "level_of_need": 4,
        "needs": ["safety", "learning"],
        "agencies_requested": [],
        "significant_harm_concern": True,
        "transition": False,
        "consent": None,
        "safeguarding_basis_recorded": True,
        "child": {
            "given_name": "Tia",
            "family_name": "Brook",
            "date_of_birth": "2014-07-03",
            "address": "2 Test Lane",
        },
        "front_door": {
            "route": "significant-harm",
            "reason": "bruising seen at school",
            "sent_at": "2026-12-07T09:30:00+00:00",
            "answer": answer,
            "answered_at": "2026-12-08T15:00:00+00:00" if answer else None,
            "reference": None,
        },
    }


def test_the_front_door_lists_the_cases_waiting_for_it(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "mash-1", "front-door")
    case_id = uuid.UUID("1a2b3c4d-0000-0000-0000-000000000000")
    row = {
        "case_id": str(case_id),
        "district": "epping-forest",
        "referring_agency": "education",
        "route": "panel",
        "reason": "risk rising at home",
        "sent_at": "2026-12-07T09:30:00+00:00",
        "answer": None,
        "answered_at": None,
    }
    services.answer("GET", f"{REFERRAL}/front-door", 200, [row])
    page = web.get("/front-door")
    assert page.status_code == 200
    assert f'href="/front-door/{case_id}"' in page.text and "MAAG-1A2B3C4D" in page.text
    assert "Epping Forest" in page.text and "risk rising at home" in page.text
    assert "The panel&#39;s decision" in page.text and "7 December 2026" in page.text
    assert 'href="/front-door"' in page.text  # the nav link, for the front door's role
    asked = services.one("GET", f"{REFERRAL}/front-door")
    assert asked.url.params["waiting"] == "true"
    assert asked.headers["Authorization"] == "Bearer token-mash-1"
    web.get("/front-door", params={"answered": "true"})
    assert services.sent[-1].url.params["waiting"] == "false"


def test_a_case_s_page_shows_the_referral_the_child_and_the_answer_form(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "mash-1", "front-door")
    case_id = uuid.uuid4()
    services.answer("GET", f"{REFERRAL}/referrals/{case_id}", 200, _referral(case_id))
    page = web.get(f"/front-door/{case_id}")
    assert page.status_code == 200
    assert "Tia Brook" in page.text and "2 Test Lane" in page.text
    assert "bruising seen at school" in page.text
    assert "A concern of significant harm at referral" in page.text
    assert f'action="/front-door/{case_id}"' in page.text
    assert 'name="csrf_token"' in page.text and 'name="idempotency_key"' in page.text
    # the radios in a fieldset with a legend; each field labelled
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">' in page.text
    assert 'value="accepted"' in page.text and 'value="stepped-down"' in page.text
    assert '<label class="govuk-label govuk-label--s" for="reason">' in page.text
    assert 'for="reference"' in page.text
    answered = _referral(case_id, "stepped-down")
    services.answer("GET", f"{REFERRAL}/referrals/{case_id}", 200, answered)
    page = web.get(f"/front-door/{case_id}")
    assert "Stepped down into the Epping Forest MAAG on 8 December 2026" in page.text
    assert f'action="/front-door/{case_id}"' not in page.text  # answered: no form


def test_a_good_answer_goes_to_the_referral_api_and_back_to_the_list(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "mash-1", "front-door")
    case_id = uuid.uuid4()
    url = f"{REFERRAL}/referrals/{case_id}/front-door"
    services.answer("POST", url, 200, _referral(case_id, "accepted"))
    form = {"csrf_token": csrf, "answer": "accepted", "reason": " section 47 enquiry "}
    done = web.post(f"/front-door/{case_id}", data={**form, "reference": "SC-991"})
    assert done.status_code == 303 and done.headers["location"] == "/front-door"
    sent = services.one("POST", url)
    assert json.loads(sent.content) == {
        "answer": "accepted",
        "reason": "section 47 enquiry",
        "reference": "SC-991",
    }
    assert sent.headers["Idempotency-Key"].startswith("web-")
    other = uuid.uuid4()
    services.answer("POST", f"{REFERRAL}/referrals/{other}/front-door", 200, {})
    web.post(f"/front-door/{other}", data={**form, "answer": "stepped-down", "reference": " "})
    body = json.loads(services.one("POST", f"{REFERRAL}/referrals/{other}/front-door").content)
    assert body["answer"] == "stepped-down" and body["reference"] is None  # none given


def test_a_refusal_is_shown_on_the_case_s_page_with_what_was_typed(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "mash-1", "front-door")
    case_id = uuid.uuid4()
    services.answer("GET", f"{REFERRAL}/referrals/{case_id}", 200, _referral(case_id))
    refusal = {"detail": "the case is not waiting at the front door"}
    services.answer("POST", f"{REFERRAL}/referrals/{case_id}/front-door", 409, refusal)
    form = {"csrf_token": csrf, "answer": "accepted", "reason": "known to us"}
    again = web.post(f"/front-door/{case_id}", data=form)
    assert again.status_code == 409
    assert "There is a problem" in again.text and refusal["detail"] in again.text
    assert "known to us" in again.text  # the reason kept
    invalid = {"detail": "invalid", "errors": [{"field": "body.reason", "reason": "too long"}]}
    services.answer("POST", f"{REFERRAL}/referrals/{case_id}/front-door", 422, invalid)
    again = web.post(f"/front-door/{case_id}", data=form)
    assert again.status_code == 400 and "body.reason: too long" in again.text


def test_an_answer_missing_its_choice_or_reason_is_shown_again_without_asking_the_api(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "mash-1", "front-door")
    case_id = uuid.uuid4()
    services.answer("GET", f"{REFERRAL}/referrals/{case_id}", 200, _referral(case_id))
    again = web.post(f"/front-door/{case_id}", data={"csrf_token": csrf, "reference": "SC-1"})
    assert again.status_code == 400
    assert 'href="#answer"' in again.text and 'href="#reason"' in again.text
    assert "Select whether children" in again.text and "Enter the reason" in again.text
    assert 'value="SC-1"' in again.text
    assert [r.method for r in services.sent] == ["GET"]  # only the page read, nothing sent


def test_the_front_door_is_only_for_the_front_door(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "referrer-1", "referrer")
    case_id = uuid.uuid4()
    assert 'href="/front-door"' not in web.get("/").text  # no link to it either
    services.sent.clear()  # the home page asked for the referrer's own tray
    for page in (web.get("/front-door"), web.get(f"/front-door/{case_id}")):
        assert page.status_code == 403 and "You cannot see this page" in page.text
    form = {"csrf_token": csrf, "answer": "accepted", "reason": "r"}
    assert web.post(f"/front-door/{case_id}", data=form).status_code == 403
    assert services.sent == []  # the referral service was not asked


def test_the_referrer_s_page_says_what_the_front_door_did(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    case_id = uuid.uuid4()
    url = f"{REFERRAL}/referrals/{case_id}"
    services.answer("GET", url, 200, _referral(case_id))
    page = web.get(f"/referrals/{case_id}").text
    assert (
        "Referred to children's social care's front door on 7 December 2026 "
        "(a concern of significant harm at referral)" in page
    )
    assert "Waiting for children's social care's answer" in page
    services.answer("GET", url, 200, _referral(case_id, "accepted"))
    page = web.get(f"/referrals/{case_id}").text
    assert "Children's social care took the case on on 8 December 2026" in page
    services.answer("GET", url, 200, _referral(case_id, "stepped-down"))
    page = web.get(f"/referrals/{case_id}").text
    assert "Stepped down into the Epping Forest MAAG on 8 December 2026" in page
    services.answer("GET", url, 200, {**_referral(case_id), "front_door": None})
    assert "front door" not in web.get(f"/referrals/{case_id}").text
