"""The data protection officer's pages: finding a case, its record, a legal hold placed and
released, an erasure confirmed (and refused under a hold, beside the field), the subject
access export downloaded, their tray on the home page; and nobody else let in."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in

REFERRAL = "http://referral.test"
DPO = ("privacy-officer-1", "privacy-officer")
CASE = uuid.UUID("1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d")
RECORD = f"{REFERRAL}/privacy/cases/{CASE}"
HOLD = {"reason": "the county's solicitor expects a claim", "until": "2031-03-31"}


def _record(**over: Any) -> dict[str, Any]:
    found = {
        "case_id": str(CASE),
        "district": "epping-forest",
        "caf_reference": "CAF-2026-0001234",
        "status": "declined",
        "ended_as": "declined",
        "personal_data_erased": None,
        "legal_hold": None,
        "closed": None,
        "retention": {"rule": "declined=fy+6", "due_on": "2033-03-31"},
    }
    return {**found, **over}


def _signed_in(web: TestClient, provider: Provider, services: Services) -> str:
    """The privacy officer signed in (their home page asked for their tray: forgotten)."""
    csrf = sign_in(web, provider, *DPO)
    services.sent.clear()
    return csrf


def _errors_beside(page: str, field: str, message: str) -> None:
    """The message in the error summary, linked to its field, and beside the field."""
    assert "There is a problem" in page
    assert f'href="#{field}"' in page
    assert page.count(message) >= 2, page


def test_a_case_is_found_by_its_id_or_an_address_holding_it(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    page = web.get("/privacy")
    assert page.status_code == 200 and "Find a case" in page.text
    assert '<label class="govuk-label govuk-label--s" for="case">' in page.text
    assert 'href="/privacy"' in page.text  # the nav link, for the privacy officer's role
    found = web.get("/privacy", params={"case": f" {CASE} "})
    assert found.status_code == 303 and found.headers["location"] == f"/privacy/cases/{CASE}"
    pasted = web.get("/privacy", params={"case": f"https://maag.example/cases/{CASE}"})
    assert pasted.headers["location"] == f"/privacy/cases/{CASE}"
    assert services.sent == []  # nothing asked, nothing recorded, until the record is opened


def test_a_search_without_a_case_id_is_said_beside_the_field_with_what_was_typed(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    page = web.get("/privacy", params={"case": "CAF-2026-0001234"})
    assert page.status_code == 400
    _errors_beside(page.text, "case", "Enter the case&#39;s id as it is in its address")
    assert 'value="CAF-2026-0001234"' in page.text
    assert services.sent == []


def test_a_case_the_service_does_not_know_is_said_on_the_find_form(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    services.answer("GET", RECORD, 404, {"detail": "no such case"})
    page = web.get(f"/privacy/cases/{CASE}")
    assert page.status_code == 404
    _errors_beside(page.text, "case", "No case has this id")
    assert f'value="{CASE}"' in page.text


def test_a_case_s_record_says_its_retention_its_hold_and_its_erasure_in_plain_words(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    held = {"reason": "a claim is expected", "until": "2031-03-31"}
    services.answer("GET", RECORD, 200, _record(legal_hold=held))
    page = web.get(f"/privacy/cases/{CASE}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "<title>CAF-2026-0001234 \u2013 MAAG</title>" in text  # never the child's name
    assert "CAF-2026-0001234, Epping Forest" in text and "MAAG-1A2B3C4D" in text
    assert "Referral declined" in text and "May be erased from 31 March 2033" in text
    assert "kept 6 years after the end of the financial year" in text
    assert "Until 31 March 2031: a claim is expected" in text
    assert "Held, sealed under the case&#39;s own key" in text
    # the forms: a new hold, the release, the erasure's confirmation, the export
    assert f'action="/privacy/cases/{CASE}/legal-hold"' in text
    assert f'action="/privacy/cases/{CASE}/legal-hold/release"' in text
    assert 'name="csrf_token"' in text and 'name="idempotency_key"' in text
    assert 'id="until-day"' in text and "The hold&#39;s last day" in text
    assert f'href="/privacy/cases/{CASE}/erasure"' in text
    assert f'action="/privacy/cases/{CASE}/subject-access.json"' in text
    assert str(CASE) not in text.split("<h1")[1].split("</h1>")[0]  # no id as a heading
    asked = services.one("GET", RECORD)
    assert asked.headers["Authorization"] == "Bearer token-privacy-officer-1"
    # erased: nothing left to hold or erase; the export stays
    erased = {"reason": "the young person asked", "erased_on": "2027-01-05"}
    services.answer(
        "GET", RECORD, 200, _record(caf_reference=None, personal_data_erased=erased, retention=None)
    )
    text = web.get(f"/privacy/cases/{CASE}").text
    assert "A case in Epping Forest" in text and "<title>MAAG-1A2B3C4D \u2013 MAAG</title>" in text
    assert "Erased on 5 January 2027: the young person asked" in text
    assert "legal-hold" not in text and f'href="/privacy/cases/{CASE}/erasure"' not in text
    assert "subject-access.json" in text


def test_a_hold_goes_to_the_referral_api_once_and_back_to_the_record(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("POST", f"{RECORD}/legal-hold", 200, _record(legal_hold=HOLD))
    form = {
        "csrf_token": csrf,
        "idempotency_key": "hold-key-0001",
        "hold_reason": f" {HOLD['reason']} ",
        "until-day": "31",
        "until-month": "3",
        "until-year": "2031",
    }
    done = web.post(f"/privacy/cases/{CASE}/legal-hold", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/privacy/cases/{CASE}"
    sent = services.one("POST", f"{RECORD}/legal-hold")
    assert json.loads(sent.content) == HOLD
    # sent twice (a second click, a resubmission): the same key, so the service records once
    web.post(f"/privacy/cases/{CASE}/legal-hold", data=form)
    keys = {r.headers["Idempotency-Key"] for r in services.sent if r.method == "POST"}
    assert keys == {"web-hold-key-0001"}


def test_a_hold_without_a_reason_or_a_real_future_day_is_shown_again_without_asking(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", RECORD, 200, _record())
    bad = {"csrf_token": csrf, "hold_reason": " ", "until-day": "31", "until-month": "2"}
    page = web.post(f"/privacy/cases/{CASE}/legal-hold", data={**bad, "until-year": "2031"})
    assert page.status_code == 400
    _errors_beside(page.text, "hold_reason", "Enter why the case is held")
    _errors_beside(page.text, "until-day", "Enter the hold&#39;s last day as a real date")
    assert 'name="until-day" type="text" value="31"' in page.text  # the answers kept
    yesterday = date.today() - timedelta(days=2)
    past = {
        "csrf_token": csrf,
        "hold_reason": "a claim",
        "until-day": str(yesterday.day),
        "until-month": str(yesterday.month),
        "until-year": str(yesterday.year),
    }
    page = web.post(f"/privacy/cases/{CASE}/legal-hold", data=past)
    assert page.status_code == 400
    _errors_beside(page.text, "until-day", "must be today or in the future")
    assert "a claim" in page.text
    assert [r.method for r in services.sent] == ["GET", "GET"]  # the record only


def test_the_service_s_refusal_of_a_hold_is_shown_beside_the_field_it_names(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", RECORD, 200, _record())
    refusal = {"detail": "a legal hold must last until today or later"}
    services.answer("POST", f"{RECORD}/legal-hold", 409, refusal)
    form = {
        "csrf_token": csrf,
        "hold_reason": "a claim",
        "until-day": "1",
        "until-month": "1",
        "until-year": "2040",
    }
    page = web.post(f"/privacy/cases/{CASE}/legal-hold", data=form)
    assert page.status_code == 409
    _errors_beside(page.text, "until-day", "A legal hold must last until today or later")
    invalid = {
        "detail": "invalid",
        "errors": [
            {"field": "body.reason", "reason": "string too long"},
            {"field": "body.until", "reason": "not a date"},
        ],
    }
    services.answer("POST", f"{RECORD}/legal-hold", 422, invalid)
    page = web.post(f"/privacy/cases/{CASE}/legal-hold", data=form)
    assert page.status_code == 400
    _errors_beside(page.text, "hold_reason", "String too long")
    _errors_beside(page.text, "until-day", "Not a date")
    assert 'value="2040"' in page.text


def test_a_release_needs_its_reason_and_goes_to_the_referral_api(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", RECORD, 200, _record(legal_hold=HOLD))
    page = web.post(f"/privacy/cases/{CASE}/legal-hold/release", data={"csrf_token": csrf})
    assert page.status_code == 400
    _errors_beside(page.text, "release_reason", "Enter why the legal hold is released")
    url = f"{RECORD}/legal-hold/release"
    services.answer("POST", url, 409, {"detail": f"case {CASE} is not under a legal hold"})
    form = {"csrf_token": csrf, "release_reason": "claim settled"}
    page = web.post(f"/privacy/cases/{CASE}/legal-hold/release", data=form)
    assert page.status_code == 409
    _errors_beside(page.text, "release_reason", "Case MAAG-1A2B3C4D is not under a legal hold")
    assert "claim settled" in page.text
    services.answer("POST", url, 200, _record())
    done = web.post(f"/privacy/cases/{CASE}/legal-hold/release", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/privacy/cases/{CASE}"
    assert json.loads(services.sent[-1].content) == {"reason": "claim settled"}
    assert services.sent[-1].headers["Idempotency-Key"].startswith("web-")


def test_an_erasure_is_confirmed_first_and_refused_under_a_hold_beside_the_field(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", RECORD, 200, _record(legal_hold=HOLD))
    page = web.get(f"/privacy/cases/{CASE}/erasure")
    assert page.status_code == 200
    assert "This cannot be undone" in page.text
    assert "under a legal hold until 31 March 2031" in page.text
    assert f'action="/privacy/cases/{CASE}/erasure"' in page.text
    assert 'name="confirm" type="checkbox" value="yes"' in page.text
    # not confirmed, no reason: said by field, nothing asked of the service but the record
    page = web.post(f"/privacy/cases/{CASE}/erasure", data={"csrf_token": csrf})
    assert page.status_code == 400
    _errors_beside(page.text, "reason", "Enter why the child&#39;s personal details are erased")
    _errors_beside(page.text, "confirm", "Confirm that the child&#39;s personal details")
    assert all(r.method == "GET" for r in services.sent)
    # refused under the hold: the service's words, beside the confirmation, the reason kept
    refusal = {
        "detail": f"case {CASE} is under a legal hold until 2031-03-31 "
        "(the county's solicitor expects a claim): nothing can be erased"
    }
    services.answer("POST", f"{RECORD}/erasure", 409, refusal)
    form = {"csrf_token": csrf, "reason": "the young person asked", "confirm": "yes"}
    page = web.post(f"/privacy/cases/{CASE}/erasure", data=form)
    assert page.status_code == 409
    said = "Case MAAG-1A2B3C4D is under a legal hold until 31 March 2031"
    _errors_beside(page.text, "confirm", said)
    assert "nothing can be erased" in page.text and "the young person asked" in page.text
    assert str(CASE) not in page.text.split("govuk-error-summary")[1].split("</ul>")[0]
    # erased: back to the record
    services.answer("POST", f"{RECORD}/erasure", 200, _record())
    done = web.post(f"/privacy/cases/{CASE}/erasure", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/privacy/cases/{CASE}"
    assert json.loads(services.sent[-1].content) == {"reason": "the young person asked"}
    # already erased: no form
    erased = {"reason": "asked", "erased_on": "2027-01-05"}
    services.answer("GET", RECORD, 200, _record(personal_data_erased=erased))
    page = web.get(f"/privacy/cases/{CASE}/erasure")
    assert "were erased on 5 January 2027" in page.text
    assert f'action="/privacy/cases/{CASE}/erasure"' not in page.text


def test_the_subject_access_export_is_a_json_download_of_the_case(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    export = {"case_id": str(CASE), "child": {"given_name": "Tia"}, "referral": {}}
    services.answer("GET", f"{RECORD}/export", 200, export)
    url = f"/privacy/cases/{CASE}/subject-access.json"
    assert web.get(url).status_code == 405  # never by a link another site could hold
    assert web.post(url, data={"csrf_token": "forged"}).status_code == 403  # "form expired"
    assert services.sent == []
    got = web.post(url, data={"csrf_token": csrf})
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json"
    disposition = got.headers["content-disposition"]
    assert disposition == 'attachment; filename="maag-subject-access-1A2B3C4D.json"'
    assert got.json() == export
    assert services.one("GET", f"{RECORD}/export").url.params["format"] == "json"
    services.answer("GET", f"{RECORD}/export", 404, {"detail": "no such case"})
    assert web.post(url, data={"csrf_token": csrf}).status_code == 404


def test_the_privacy_officer_s_tray_lists_what_is_due_and_links_to_each_case(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    other = uuid.UUID("9f8e7d6c-0000-4000-8000-000000000000")
    due = [
        {
            "case_id": str(CASE),
            "kind": "hold-ending",
            "due_on": "2027-03-20",
            "overdue": True,
            "rule": None,
            "held": False,
        },
        {
            "case_id": str(other),
            "kind": "retention",
            "due_on": "2027-04-20",
            "overdue": False,
            "rule": "closed=dob+25",
            "held": True,
        },
    ]
    services.answer("GET", f"{REFERRAL}/privacy/due", 200, due)
    home = web.get("/").text
    assert "Due under the retention schedule and legal holds" in home
    assert f'href="/privacy/cases/{CASE}"' in home and "MAAG-1A2B3C4D" in home
    assert "Legal hold ended: release it, or place a new one" in home
    assert "20 March 2027" in home and "govuk-tag--red" in home
    assert f'href="/privacy/cases/{other}"' in home and "20 April 2027" in home
    assert "Retention period ends (Closed by its panel: kept 25 years after the child" in home
    assert "under a legal hold: not to be erased" in home
    services.answer("GET", f"{REFERRAL}/privacy/due", 200, [])
    assert "Nothing is due: no retention period or legal hold ends" in web.get("/").text


def test_the_privacy_pages_are_the_privacy_officer_s_alone(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "referrer-1", "referrer")
    for path in ("/privacy", f"/privacy/cases/{CASE}", f"/privacy/cases/{CASE}/erasure"):
        refused = web.get(path)
        assert refused.status_code == 403 and "You cannot see this page" in refused.text
    form = {"csrf_token": csrf}
    assert web.post(f"/privacy/cases/{CASE}/subject-access.json", data=form).status_code == 403
    assert "Due under the retention schedule" not in web.get("/").text
    assert not [r for r in services.sent if "/privacy" in str(r.url)]  # nothing asked
