"""A referral made through the form, the referral API's refusals on it, and the changes to a
referral sent where their action says."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient

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


def test_a_referral_goes_to_the_referral_api_with_the_form_s_key(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "referrer-1", "referrer")
    page = web.get("/referrals/new").text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page)
    assert key
    case_id = str(uuid.uuid4())
    services.answer("POST", "http://referral.test/referrals", 201, {"case_id": case_id})
    made = web.post(
        "/referrals", data={**REFERRAL, "csrf_token": csrf, "idempotency_key": key.group(1)}
    )
    assert made.status_code == 303 and made.headers["location"] == f"/referrals/{case_id}"
    sent = services.one("POST", "http://referral.test/referrals")
    assert sent.headers["Idempotency-Key"] == f"web-{key.group(1)}"
    assert sent.headers["Authorization"] == "Bearer token-referrer-1"
    body = json.loads(sent.content)
    assert body["agencies_requested"] == ["camhs", "youth-service"]
    assert body["referring_professional_id"] == "referrer-1"


def test_a_referral_form_missing_answers_is_shown_again_without_asking_the_api(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "referrer-1", "referrer")
    again = web.post("/referrals", data={**REFERRAL, "given_name": "", "csrf_token": csrf})
    assert again.status_code == 400 and "Enter the first name" in again.text
    assert 'value="Brook"' in again.text  # every other answer kept
    assert services.sent == []


def test_the_referral_api_s_refusals_land_on_the_form(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "referrer-1", "referrer")
    refusal = {"detail": "invalid", "errors": [{"field": "body.needs.0", "reason": "too long"}]}
    services.answer("POST", "http://referral.test/referrals", 422, refusal)
    again = web.post("/referrals", data={**REFERRAL, "csrf_token": csrf})
    assert again.status_code == 400 and "Needs: too long" in again.text
    services.answer("POST", "http://referral.test/referrals", 409, {"detail": "a duplicate"})
    again = web.post("/referrals", data={**REFERRAL, "csrf_token": csrf})
    assert again.status_code == 409 and "a duplicate" in again.text


def test_a_change_to_a_referral_is_sent_where_its_action_says(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "referrer-1", "referrer")
    case_id = uuid.uuid4()
    url = f"http://referral.test/referrals/{case_id}"
    services.answer("GET", url, 200, {"agencies_requested": [], "referring_agency": "education"})
    services.answer("POST", f"{url}/consent/withdrawal", 200, {})
    done = web.post(
        f"/referrals/{case_id}/withdrawal", data={"csrf_token": csrf, "reason": " moved "}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{case_id}"
    body = json.loads(services.one("POST", f"{url}/consent/withdrawal").content)
    assert body == {"withdrawn_on": datetime.now(UTC).date().isoformat(), "reason": "moved"}
    services.answer("POST", f"{url}/consent", 200, {})
    web.post(f"/referrals/{case_id}/consent", data={"csrf_token": csrf, "given_by": "young-person"})
    body = json.loads(services.one("POST", f"{url}/consent").content)
    assert body["scope"] == ["education"] and body["given_by"] == "young-person"
    unknown = web.post(f"/referrals/{case_id}/erasure", data={"csrf_token": csrf})
    assert unknown.status_code == 404 and "Page not found" in unknown.text
