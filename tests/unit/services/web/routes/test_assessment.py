"""The Early Help Assessment's page: the assessment as it stands by domain, its history, a
form for a new version filled with the current one, the buttons its lifecycle allows (a
manager authorises, never the assessor); the panel's summary with no text; each form's
refusals beside the box they name."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from services.referral.domain.assessment import HEADINGS
from services.web.pages import today
from services.web.routes.assessment import DOMAINS, field_id
from tests.unit.services.web.routes.test_case_record import API, CASE, REFERRAL
from tests.unit.services.web.stand_ins import Provider, Services, sign_in

ASSESSMENT = f"{API}/assessment"
SAM = {"professional_id": "referrer-1", "agency": "education"}
VERSION = {
    "number": 1,
    "status": "draft",
    "recorded_at": "2026-12-01T10:00:00Z",
    "assessed_on": "2026-11-20",
    "assessed_by": SAM,
    "authorised": None,
    "content": {
        "child_development": {"health": {"strengths": "swims weekly", "needs": "asthma"}},
        "parenting_capacity": {},
        "family_and_environment": {"housing": {"strengths": None, "needs": "damp flat"}},
        "child_voice": "I want my own room",
        "parents_view": None,
        "analysis": "A TAC for health and housing",
    },
}
VIEW = {
    "case_id": str(CASE),
    "status": "draft",
    "current_version": 1,
    "versions": [VERSION],
    "reviews": [],
    "closure": None,
}


def _signed_in(
    web: TestClient, provider: Provider, services: Services, user: str, *roles: str
) -> str:
    csrf = sign_in(web, provider, user, *roles)
    services.sent.clear()
    services.answer("GET", API, 200, REFERRAL)
    return csrf


def _posts(services: Services) -> list[Any]:
    return [r for r in services.sent if r.method == "POST" and "referral.test" in str(r.url)]


def test_the_form_has_every_heading_the_referral_service_declares() -> None:
    assert {d.value for d in HEADINGS} == set(DOMAINS)
    for domain, headings in HEADINGS.items():
        assert set(DOMAINS[domain.value][1]) == {h.value for h in headings}


def test_the_assessment_as_it_stands_and_a_manager_may_authorise_it(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services, "manager-1", "referrer")
    services.answer("GET", ASSESSMENT, 200, VIEW)
    page = web.get(f"/referrals/{CASE}/assessment")
    assert page.status_code == 200, page.text
    text = page.text
    assert "<title>Early Help Assessment: CAF-2026-000999 \u2013 MAAG</title>" in text
    assert "Zebedee" not in text  # never the child's name
    assert "The child&#39;s developmental needs" in text and "asthma" in text
    assert "Family and environmental factors" in text and "damp flat" in text
    assert "Draft: to be authorised" in text
    assert "Authorise version 1" in text  # not the assessor
    assert "Record the review" not in text  # a draft is not reviewed
    # the new version's form starts from the one as it stands
    assert f'id="{field_id("child_development", "health", "needs")}"' in text
    assert ">asthma</textarea>" in text


def test_the_assessor_is_not_offered_to_authorise_their_own(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services, "referrer-1", "referrer")
    services.answer("GET", ASSESSMENT, 200, VIEW)
    page = web.get(f"/referrals/{CASE}/assessment")
    assert page.status_code == 200 and "Authorise version" not in page.text


def test_the_panel_sees_the_summary_without_a_word_of_the_assessment(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services, "panel-1", "panel-member")
    services.answer("GET", ASSESSMENT, 403, {"detail": "forbidden: case_id: only ..."})
    needs = {
        d.value: {h.value: h.value == "housing" for h in headings}
        for d, headings in HEADINGS.items()
    }
    summary = {
        "case_id": str(CASE),
        "status": "authorised",
        "version": 2,
        "assessed_on": "2026-11-20",
        "authorised_on": "2026-11-22",
        "last_reviewed_on": None,
        "closed_on": None,
        "needs_recorded": needs,
    }
    services.answer("GET", f"{ASSESSMENT}/summary", 200, summary)
    page = web.get(f"/referrals/{CASE}/assessment")
    assert page.status_code == 200, page.text
    assert "Needs recorded" in page.text and "22 November 2026" in page.text
    assert "damp flat" not in page.text and "Save the assessment" not in page.text


def test_a_version_is_sent_with_its_headings_and_refusals_land_beside_their_box(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services, "referrer-1", "referrer")
    services.answer("GET", ASSESSMENT, 404, {"detail": "assessment: none"})
    day = today()
    form = {
        "csrf_token": csrf,
        "idempotency_key": "assessment-key-01",
        "assessed_on-day": str(day.day),
        "assessed_on-month": str(day.month),
        "assessed_on-year": str(day.year),
        field_id("child_development", "health", "needs"): " asthma ",
        field_id("parenting_capacity", "stability", "strengths"): "same school for years",
        "analysis": "A TAC",
    }
    services.answer("POST", ASSESSMENT, 201, VIEW)
    done = web.post(f"/referrals/{CASE}/assessment", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}/assessment"
    (sent,) = _posts(services)
    assert json.loads(sent.content) == {
        "assessed_on": day.isoformat(),
        "child_development": {"health": {"needs": "asthma"}},
        "parenting_capacity": {"stability": {"strengths": "same school for years"}},
        "family_and_environment": {},
        "analysis": "A TAC",
    }
    services.sent.clear()
    too_long = "String should have at most 1000 characters"
    services.answer(
        "POST",
        ASSESSMENT,
        422,
        {
            "detail": "invalid request",
            "errors": [{"field": "body.child_development.health.needs", "reason": too_long}],
        },
    )
    again = web.post(f"/referrals/{CASE}/assessment", data=form)
    assert again.status_code == 400
    box = field_id("child_development", "health", "needs")
    assert f'href="#{box}"' in again.text and f"Health: needs: {too_long}" in again.text
    assert "same school for years</textarea>" in again.text  # the answers kept


def test_a_form_without_its_date_is_refused_and_nothing_is_sent(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services, "referrer-1", "referrer")
    services.answer("GET", ASSESSMENT, 200, VIEW)
    page = web.post(f"/referrals/{CASE}/assessment", data={"csrf_token": csrf, "analysis": "x"})
    assert page.status_code == 400 and "Enter the date of the assessment" in page.text
    page = web.post(f"/referrals/{CASE}/assessment/reviews", data={"csrf_token": csrf})
    assert page.status_code == 400 and "Enter what the review found" in page.text
    page = web.post(f"/referrals/{CASE}/assessment/closure", data={"csrf_token": csrf})
    assert page.status_code == 400 and "Enter why the assessment is closed" in page.text
    assert _posts(services) == []
