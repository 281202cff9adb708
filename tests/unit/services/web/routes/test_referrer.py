"""A referral made through the form, the referral API's refusals on it; consent recorded with
its scope, date and who gave it, its withdrawal and a safeguarding basis, each form's errors
beside its fields; and the referrer's work tray on the home page."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from markupsafe import escape

from services.web.pages import today
from tests.unit.services.web.stand_ins import Provider, Services, sign_in

REFERRAL = {
    "caf_reference": "CAF-1",
    "district": "harlow",
    "given_name": "Tia",
    "family_name": "Brook",
    "dob-day": "3",
    "dob-month": "7",
    "dob-year": "2014",
    "address": "2 Test Lane",
    "needs": "learning",
    "agencies": ["camhs", "youth-service"],
    "level_of_need": "3",
    "significant_harm": "no",
    "consent": "yes",
    "consent_by": "parent-carer",
    "consent_how": "signed form",
}
CASE = uuid.UUID("6a1c1d8e-3c55-4f8e-9a37-0c1f5a1d2b10")
API = f"http://referral.test/referrals/{CASE}"
LIST = "http://referral.test/referrals"


def _referral(**more: Any) -> dict[str, Any]:
    return {
        "case_id": str(CASE),
        "status": "pending-consent",
        "reason": "no consent to share and no safeguarding basis recorded: the referral waits",
        "signposting": None,
        "caf_reference": "CAF-2026-000123",
        "referring_agency": "education",
        "district": "harlow",
        "level_of_need": 3,
        "needs": ["learning"],
        "agencies_requested": ["camhs", "youth-service"],
        "consent": None,
        "safeguarding_basis_recorded": False,
        "child": {
            "given_name": "Tia",
            "family_name": "Brook",
            "date_of_birth": "2014-07-03",
            "address": "2 Test Lane",
        },
        "matches_offered": 0,
        "front_door": None,
        **more,
    }


def _signed_in(web: TestClient, provider: Provider, services: Services, *roles: str) -> str:
    csrf = sign_in(web, provider, "referrer-1", *(roles or ("referrer",)))
    services.sent.clear()  # the home page's tray asked already
    return csrf


def _beside(page: str, field: str, message: str) -> None:
    """The message in the error summary, linked to its field, and beside the field."""
    assert "There is a problem" in page
    assert f'href="#{field}"' in page, page
    assert page.count(str(escape(message))) >= 2, page


def _day(d: date, name: str) -> dict[str, str]:
    return {f"{name}-day": str(d.day), f"{name}-month": str(d.month), f"{name}-year": str(d.year)}


def test_a_referral_goes_to_the_referral_api_with_the_form_s_key(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    page = web.get("/referrals/new").text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page)
    assert key
    case_id = str(uuid.uuid4())
    services.answer("POST", LIST, 201, {"case_id": case_id})
    made = web.post(
        "/referrals", data={**REFERRAL, "csrf_token": csrf, "idempotency_key": key.group(1)}
    )
    assert made.status_code == 303 and made.headers["location"] == f"/referrals/{case_id}"
    sent = services.one("POST", LIST)
    assert sent.headers["Idempotency-Key"] == f"web-{key.group(1)}"
    assert sent.headers["Authorization"] == "Bearer token-referrer-1"
    body = json.loads(sent.content)
    assert body["agencies_requested"] == ["camhs", "youth-service"]
    assert body["referring_professional_id"] == "referrer-1"


def test_a_referral_form_missing_answers_is_shown_again_without_asking_the_api(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    again = web.post("/referrals", data={**REFERRAL, "given_name": "", "csrf_token": csrf})
    assert again.status_code == 400 and "Enter the first name" in again.text
    assert 'value="Brook"' in again.text  # every other answer kept
    assert services.sent == []


def test_the_referral_api_s_refusals_land_on_the_form(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    refusal = {"detail": "invalid", "errors": [{"field": "body.needs.0", "reason": "too long"}]}
    services.answer("POST", LIST, 422, refusal)
    again = web.post("/referrals", data={**REFERRAL, "csrf_token": csrf})
    assert again.status_code == 400 and "Needs: too long" in again.text
    services.answer("POST", LIST, 409, {"detail": "a duplicate"})
    again = web.post("/referrals", data={**REFERRAL, "csrf_token": csrf})
    assert again.status_code == 409 and "a duplicate" in again.text


# --- consent, withdrawal, safeguarding basis -----------------------------------------------


def test_the_consent_form_offers_the_agencies_asked_for_and_today_to_narrow_or_change(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral())
    page = web.get(f"/referrals/{CASE}").text
    assert "<title>Referral CAF-2026-000123 \u2013 MAAG</title>" in page  # never the child's name
    for agency in ("camhs", "youth-service"):
        assert re.search(rf'value="{agency}" checked', page), agency
    assert not re.search(r'value="police" checked', page)  # offered, not chosen
    on = today()
    assert f'name="given_on-day" type="text" value="{on.day}"' in page
    assert f'name="given_on-year" type="text" value="{on.year}"' in page
    assert 'action="/referrals/' + str(CASE) + '/safeguarding-basis"' in page
    assert f'href="/referrals/{CASE}/notes"' in page and f'href="/referrals/{CASE}/matches"' in page


def test_consent_is_recorded_with_its_narrower_scope_its_date_and_who_gave_it(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral())
    services.answer("POST", f"{API}/consent", 200, {})
    given = today() - timedelta(days=3)
    form = {
        "csrf_token": csrf,
        "idempotency_key": "consent-key-0001",
        "given_by": "young-person",
        "scope": ["camhs"],
        "how_obtained": " phone call, confirmed in writing ",
        **_day(given, "given_on"),
    }
    done = web.post(f"/referrals/{CASE}/consent", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}"
    sent = services.one("POST", f"{API}/consent")
    assert json.loads(sent.content) == {
        "given_by": "young-person",
        "scope": ["camhs"],
        "given_on": given.isoformat(),
        "how_obtained": "phone call, confirmed in writing",
    }
    # sent twice (a second click, a resubmission): the same key, so the service records once
    web.post(f"/referrals/{CASE}/consent", data=form)
    keys = {r.headers["Idempotency-Key"] for r in services.sent if r.method == "POST"}
    assert keys == {"web-consent-key-0001"}


def test_a_consent_form_with_nothing_chosen_says_so_beside_each_field_and_keeps_answers(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral())
    form = {
        "csrf_token": csrf,
        "how_obtained": "a signed form",
        "given_on-day": "31",
        "given_on-month": "2",
        "given_on-year": "2026",
    }
    again = web.post(f"/referrals/{CASE}/consent", data=form)
    assert again.status_code == 400
    _beside(again.text, "given_by", "Select who gave consent")
    _beside(
        again.text, "scope", "Select at least one agency the family agreed may share information"
    )
    _beside(again.text, "given_on", "Enter the date consent was given as a real date")
    assert 'value="a signed form"' in again.text and 'value="31"' in again.text
    assert not re.search(r'value="camhs" checked', again.text)  # as sent: none ticked
    assert [r.method for r in services.sent] == ["GET"]  # nothing was sent to be recorded


def test_consent_given_in_the_future_is_refused_beside_its_date(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral())
    form = {
        "csrf_token": csrf,
        "given_by": "parent-carer",
        "scope": ["camhs"],
        "how_obtained": "form",
        **_day(today() + timedelta(days=2), "given_on"),
    }
    again = web.post(f"/referrals/{CASE}/consent", data=form)
    assert again.status_code == 400
    _beside(again.text, "given_on", "The date consent was given must be today or in the past")
    assert re.search(r'value="camhs" checked', again.text)
    assert not re.search(r'value="youth-service" checked', again.text)  # the narrower scope kept


def test_the_service_s_refusals_of_consent_land_on_the_fields_they_name(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral())
    form = {
        "csrf_token": csrf,
        "given_by": "parent-carer",
        "scope": ["camhs"],
        "how_obtained": "form",
        **_day(today(), "given_on"),
    }
    refusal = {
        "detail": "invalid request",
        "errors": [{"field": "body.given_on", "reason": "Value error, must not be in the future"}],
    }
    services.answer("POST", f"{API}/consent", 422, refusal)
    again = web.post(f"/referrals/{CASE}/consent", data=form)
    assert again.status_code == 400
    _beside(again.text, "given_on", "Date consent was given: must not be in the future")
    services.answer(
        "POST",
        f"{API}/consent",
        409,
        {"detail": "cannot record consent: the referral was declined"},
    )
    again = web.post(f"/referrals/{CASE}/consent", data=form)
    assert again.status_code == 409 and "cannot record consent" in again.text
    assert "There is a problem" in again.text


def test_recorded_consent_is_shown_with_all_of_it_and_can_be_withdrawn(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    consent = {
        "given_by": "parent-carer",
        "scope": ["camhs", "primary-health"],
        "given_on": "2026-11-27",
        "how_obtained": "signed form at the CAF meeting",
    }
    services.answer("GET", API, 200, _referral(status="accepted", consent=consent))
    page = web.get(f"/referrals/{CASE}").text
    assert "Given by a parent or carer on 27 November 2026" in page
    assert "CAMHS, Primary health" in page and "signed form at the CAF meeting" in page
    assert 'action="/referrals/' + str(CASE) + '/withdrawal"' in page
    # in force: recorded again to reconfirm it, the form starting from what is in force
    assert f'action="/referrals/{CASE}/consent"' in page and "Record consent again" in page
    assert re.search(r'value="parent-carer" selected', page)
    assert re.search(r'value="primary-health" checked', page)
    assert not re.search(r'value="youth-service" checked', page)  # asked for, not agreed
    assert "safeguarding-basis" not in page  # consent is in force: no basis needed
    services.answer("POST", f"{API}/consent/withdrawal", 200, {})
    missing = web.post(f"/referrals/{CASE}/withdrawal", data={"csrf_token": csrf})
    assert missing.status_code == 400
    _beside(missing.text, "withdraw_reason", "Enter why consent was withdrawn")
    _beside(missing.text, "withdrawn_on", "Enter the date consent was withdrawn")
    form = {"csrf_token": csrf, "withdraw_reason": " moved away ", **_day(today(), "withdrawn_on")}
    done = web.post(f"/referrals/{CASE}/withdrawal", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}"
    body = json.loads(services.one("POST", f"{API}/consent/withdrawal").content)
    assert body == {"withdrawn_on": today().isoformat(), "reason": "moved away"}


def test_the_lead_of_a_case_reconfirms_its_consent_on_the_referral_s_consent_form(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "lead-1", "lead-professional")
    consent = {
        "given_by": "young-person",
        "scope": ["camhs"],
        "given_on": (today() - timedelta(days=370)).isoformat(),
        "how_obtained": "signed form",
    }
    due = (today() - timedelta(days=5)).isoformat()
    referral = _referral(status="accepted", consent=consent, consent_reconfirm_by=due)
    services.answer("GET", API, 200, referral)
    page = web.get(f"/referrals/{CASE}").text
    assert '<h2 class="govuk-heading-m" id="consent">Reconfirm consent with the family</h2>' in page
    assert "Consent to reconfirm with the family by" in page
    assert re.search(r"by\s*</dt>\s*<dd[^>]*>\s*" + _words(today() - timedelta(days=5)), page)
    assert 'govuk-tag--red">Overdue' in page
    assert re.search(r'value="young-person" selected', page)
    assert re.search(r'value="camhs" checked', page) and "Record consent again" in page
    # withdrawing consent and a safeguarding basis stay with the referrer and the panel
    assert "/withdrawal" not in page and "/safeguarding-basis" not in page
    for path in ("withdrawal", "safeguarding-basis"):
        assert web.post(f"/referrals/{CASE}/{path}", data={"csrf_token": csrf}).status_code == 403
    on = today()
    assert f'name="given_on-day" type="text" value="{on.day}"' in page  # today, to start with
    # a missing answer is said beside its field, the others kept
    form = {
        "csrf_token": csrf,
        "idempotency_key": "reconfirm-key-0001",
        "given_by": "parent-carer",
        "scope": ["camhs", "youth-service"],
        **_day(on, "given_on"),
    }
    missing = web.post(f"/referrals/{CASE}/consent", data=form)
    assert missing.status_code == 400
    _beside(missing.text, "how_obtained", "Enter how consent was obtained")
    assert re.search(r'value="parent-carer" selected', missing.text)
    assert re.search(r'value="youth-service" checked', missing.text)
    services.answer("POST", f"{API}/consent", 200, {})
    done = web.post(
        f"/referrals/{CASE}/consent", data={**form, "how_obtained": "home visit with the family"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}"
    sent = services.one("POST", f"{API}/consent")
    assert json.loads(sent.content) == {
        "given_by": "parent-carer",
        "scope": ["camhs", "youth-service"],
        "given_on": on.isoformat(),
        "how_obtained": "home visit with the family",
    }
    assert sent.headers["Idempotency-Key"] == "web-reconfirm-key-0001"


def test_a_lead_the_service_refuses_sees_its_words_on_the_consent_form(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "lead-1", "lead-professional")
    consent = {
        "given_by": "parent-carer",
        "scope": ["camhs"],
        "given_on": "2026-01-02",
        "how_obtained": "signed form",
    }
    services.answer("GET", API, 200, _referral(status="accepted", consent=consent))
    refusal = {"detail": "case_id: only the case's current lead professional may record consent"}
    services.answer("POST", f"{API}/consent", 403, refusal)
    form = {
        "csrf_token": csrf,
        "given_by": "parent-carer",
        "scope": ["camhs"],
        "how_obtained": "phone call",
        **_day(today(), "given_on"),
    }
    refused = web.post(f"/referrals/{CASE}/consent", data=form)
    assert refused.status_code in (403, 409)
    assert "only the case&#39;s current lead professional may record consent" in refused.text


def _words(d: date) -> str:
    return d.strftime("%-d %B %Y")


def test_a_safeguarding_basis_names_the_professional_who_records_it_and_its_day(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral())
    services.answer("POST", f"{API}/safeguarding-basis", 200, {})
    missing = web.post(f"/referrals/{CASE}/safeguarding-basis", data={"csrf_token": csrf})
    _beside(missing.text, "basis_reason", "Enter why sharing without consent is justified")
    decided = today() - timedelta(days=1)
    form = {"csrf_token": csrf, "basis_reason": "risk at home", **_day(decided, "recorded_on")}
    assert web.post(f"/referrals/{CASE}/safeguarding-basis", data=form).status_code == 303
    body = json.loads(services.one("POST", f"{API}/safeguarding-basis").content)
    assert body == {
        "professional_id": "referrer-1",
        "professional_name": "Referrer-1",
        "reason": "risk at home",
        "recorded_on": decided.isoformat(),
    }


def test_a_declined_referral_offers_no_change_and_an_unknown_change_is_not_found(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    declined = _referral(status="declined", signposting="contact the Children's Centre")
    services.answer("GET", API, 200, declined)
    page = web.get(f"/referrals/{CASE}").text
    assert "Record consent" not in page and "safeguarding basis</h2>" not in page
    assert "contact the Children" in page
    unknown = web.post(f"/referrals/{CASE}/erasure", data={"csrf_token": csrf})
    assert unknown.status_code in (404, 405)
    assert not [r for r in services.sent if r.method == "POST"]


def test_an_auditor_reads_a_referral_but_is_offered_no_change_nor_its_notes(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "auditor-1", "auditor")
    services.answer("GET", API, 200, _referral(child=None))
    page = web.get(f"/referrals/{CASE}").text
    assert "Record consent" not in page and "/notes" not in page
    refused = web.post(f"/referrals/{CASE}/consent", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "You cannot see this page" in refused.text


# --- the work tray -------------------------------------------------------------------------


def _listed(case_id: str, caf: str, status: str, **more: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "district": "castle-point",
        "caf_reference": caf,
        "level_of_need": 3,
        "status": status,
        "reason": more.pop("reason", None),
        "received_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
        "status_since": more.pop("status_since", "2026-11-20T10:00:00Z"),
        "ended": more.pop("ended", None),
    }


def test_the_referrer_s_tray_lists_what_waits_for_consent_and_what_was_declined_or_ended(
    web: TestClient, provider: Provider, services: Services
) -> None:
    waiting = str(uuid.uuid4())
    since = (today() - timedelta(days=3)).isoformat() + "T09:00:00Z"
    services.answer(
        "GET",
        LIST,
        200,
        [_listed(waiting, "CAF-2026-000301", "pending-consent", status_since=since)],
    )
    sign_in(web, provider, "referrer-1", "referrer")
    home = web.get("/")
    asked = [r for r in services.sent if str(r.url.copy_with(query=None)) == LIST]
    queries = {r.url.query.decode() for r in asked}
    four_weeks_ago = (today() - timedelta(days=28)).isoformat()
    assert f"since={four_weeks_ago}" in queries
    assert "status=pending-consent&status=paused-consent-withdrawn" in queries
    tray = home.text
    assert "waiting for consent" in tray
    assert f'href="/referrals/{waiting}">CAF-2026-000301</a>' in tray
    assert "Castle Point" in tray and "Waiting 3 days" in tray


def test_the_tray_says_why_a_referral_was_declined_closed_or_taken_on_and_clears(
    web: TestClient, provider: Provider, services: Services
) -> None:
    declined, closed, taken = (str(uuid.uuid4()) for _ in range(3))
    rows = [
        _listed(declined, "CAF-2026-000302", "declined", reason="needs 2 or more agencies"),
        _listed(
            closed,
            "CAF-2026-000303",
            "accepted",
            ended={"how": "closed-at-panel", "on": "2026-11-30", "reason": "needs met at school"},
        ),
        _listed(
            taken,
            "CAF-2026-000304",
            "redirected-to-social-care",
            ended={"how": "taken-on-by-social-care", "on": "2026-12-01", "reason": None},
        ),
        _listed(str(uuid.uuid4()), "CAF-2026-000305", "accepted"),  # changed lately: no work
    ]
    services.answer("GET", LIST, 200, rows)
    sign_in(web, provider, "referrer-1", "referrer")
    tray = web.get("/").text
    assert "needs 2 or more agencies" in tray and "Declined at triage" in tray
    assert "Closed by the panel" in tray and "needs met at school" in tray
    assert "Taken on by children" in tray
    assert "CAF-2026-000305" not in tray
    # the waiting list (the same stand-in answer) holds no referral waiting: none shown
    assert "No referral of your agency is waiting for consent" in tray
    # consent recorded, the rest aged out: the tray clears
    services.answer("GET", LIST, 200, [])
    cleared = web.get("/").text
    assert "CAF-2026-000302" not in cleared
    assert "None of your agency" in cleared


def test_no_referrer_s_tray_for_others_and_none_when_the_service_refuses(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "commissioner-1", "commissioner")
    assert "waiting for consent" not in web.get("/").text
    assert not [r for r in services.sent if str(r.url).startswith(LIST)]
    services.answer("GET", LIST, 403, {"detail": "no"})
    sign_in(web, provider, "referrer-1", "referrer")
    home = web.get("/")
    assert home.status_code == 200 and "waiting for consent" not in home.text


def test_the_referrals_list_says_how_a_case_ended(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    ended = {"how": "closed-at-panel", "on": "2026-11-30", "reason": "needs met at school"}
    services.answer(
        "GET", LIST, 200, [_listed(str(CASE), "CAF-2026-000303", "accepted", ended=ended)]
    )
    page = web.get("/referrals").text
    assert "closed by the panel on 30 November 2026" in page and "needs met at school" in page


def test_a_paused_case_that_then_ended_waits_for_no_consent_and_offers_no_change(
    web: TestClient, provider: Provider, services: Services
) -> None:
    ended = {"how": "taken-on-by-social-care", "on": "2026-12-01", "reason": None}
    paused = str(uuid.uuid4())
    services.answer(
        "GET",
        LIST,
        200,
        [_listed(paused, "CAF-2026-000306", "paused-consent-withdrawn", ended=ended)],
    )
    sign_in(web, provider, "referrer-1", "referrer")
    tray = web.get("/").text
    assert "Record consent again" not in tray  # in the ended list, not the waiting one
    assert "Taken on by children" in tray
    services.answer("GET", API, 200, _referral(status="paused-consent-withdrawn", ended=ended))
    page = web.get(f"/referrals/{CASE}").text
    assert "Record consent" not in page and "Withdraw consent" not in page


# --- the child and family record on the referrer's page -----------------------------------


UNBORN = {
    "given_name": "Baby",
    "family_name": "Brook",
    "expected_date_of_delivery": "2027-03-01",
    "address": "2 Test Lane",
    "parents_carers": [
        {
            "name": "Ada Brook",
            "relationship": "mother",
            "parental_responsibility": True,
            "may_contact": True,
        }
    ],
}


def test_the_referrer_sees_the_childs_record_and_may_record_an_unborn_childs_birth(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral(child=UNBORN))
    page = web.get(f"/referrals/{CASE}").text
    assert "Expected date of delivery" in page and "Ada Brook" in page
    assert f'href="/referrals/{CASE}/birth"' in page
    assert f'href="/referrals/{CASE}/documents"' in page
    assert f'href="/referrals/{CASE}/assessment"' in page
    # consent's giver by name: the recorded mother offered
    assert re.search(r'name="given_by_name" type="text"[^>]* value="Ada Brook"', page)
    services.answer("GET", API, 200, _referral())  # a born child: no birth to record
    assert f'href="/referrals/{CASE}/birth"' not in web.get(f"/referrals/{CASE}").text


def test_consent_names_who_gave_it_and_the_services_refusal_lands_beside_the_name(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    services.answer("GET", API, 200, _referral(child=UNBORN))
    refused = "consent.given_by_name: name the parent or carer who gave consent"
    services.answer("POST", f"{API}/consent", 409, {"detail": refused})
    form = {
        "csrf_token": csrf,
        "idempotency_key": "consent-key-0002",
        "given_by": "parent-carer",
        "given_by_name": "  Someone   Else ",
        "scope": ["camhs"],
        "how_obtained": "signed form",
        **_day(today(), "given_on"),
    }
    again = web.post(f"/referrals/{CASE}/consent", data=form)
    assert json.loads(services.one("POST", f"{API}/consent").content)["given_by_name"] == (
        "Someone Else"
    )
    assert again.status_code == 409
    _beside(again.text, "given_by_name", "Their name: name the parent or carer who gave consent")
