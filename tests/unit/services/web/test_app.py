"""The web app as a whole: its pages where the browser and the emails expect them, who may
open them, a form's token, and each failure as the page says it."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in

ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/sign-in"),
    ("GET", "/auth/callback"),
    ("POST", "/sign-out"),
    ("GET", "/"),
    ("GET", "/referrals/new"),
    ("POST", "/referrals"),
    ("GET", "/referrals"),
    ("GET", "/referrals/{case_id}"),
    ("POST", "/referrals/{case_id}/consent"),
    ("POST", "/referrals/{case_id}/withdrawal"),
    ("POST", "/referrals/{case_id}/safeguarding-basis"),
    ("GET", "/referrals/{case_id}/notes"),
    ("POST", "/referrals/{case_id}/notes"),
    ("GET", "/referrals/{case_id}/notes/{note_id}/correction"),
    ("POST", "/referrals/{case_id}/notes/{note_id}/correction"),
    ("GET", "/referrals/{case_id}/assessment"),
    ("POST", "/referrals/{case_id}/assessment"),
    ("POST", "/referrals/{case_id}/assessment/authorisation"),
    ("POST", "/referrals/{case_id}/assessment/reviews"),
    ("POST", "/referrals/{case_id}/assessment/closure"),
    ("GET", "/referrals/{case_id}/birth"),
    ("POST", "/referrals/{case_id}/birth"),
    ("GET", "/referrals/{case_id}/chronology"),
    ("GET", "/referrals/{case_id}/documents"),
    ("POST", "/referrals/{case_id}/documents"),
    ("GET", "/referrals/{case_id}/documents/{document_id}"),
    ("GET", "/referrals/{case_id}/matches"),
    ("POST", "/referrals/{case_id}/child-match"),
    ("POST", "/referrals/{case_id}/household"),
    ("GET", "/meetings"),
    ("GET", "/meetings/{meeting_id}"),
    ("POST", "/meetings/{meeting_id}/attendance"),
    ("POST", "/meetings/{meeting_id}/decisions"),
    ("POST", "/meetings/{meeting_id}/apologies"),
    ("POST", "/meetings/{meeting_id}/declarations"),
    ("POST", "/meetings/{meeting_id}/minutes"),
    ("POST", "/meetings/{meeting_id}/circulation"),
    ("GET", "/cases/{case_id}"),
    ("POST", "/cases/{case_id}/sitting"),
    ("GET", "/my-cases"),
    ("GET", "/packages/{package_id}"),
    ("GET", "/reports/spend"),
    ("GET", "/providers"),
    ("POST", "/providers/{provider_id}/capacity"),
    ("GET", "/budgets"),
    ("POST", "/budgets/{key}"),
    ("GET", "/reports/capacity"),
    ("GET", "/reports/savings"),
    ("GET", "/reports/boards"),
    ("GET", "/reports/{name}.csv"),
    ("GET", "/audit"),
    ("GET", "/audit/stores"),
    ("GET", "/audit/cases/{case_id}"),
    ("GET", "/front-door"),
    ("GET", "/front-door/{case_id}"),
    ("POST", "/front-door/{case_id}"),
    ("GET", "/provider/packages"),
    ("GET", "/metrics"),
    ("GET", "/cases/{case_id}/plan"),
    ("GET", "/cases/{case_id}/plan/{change}"),
    ("POST", "/cases/{case_id}/plan/{change}"),
    ("GET", "/privacy"),
    ("GET", "/privacy/cases/{case_id}"),
    ("POST", "/privacy/cases/{case_id}/legal-hold"),
    ("POST", "/privacy/cases/{case_id}/legal-hold/release"),
    ("GET", "/privacy/cases/{case_id}/erasure"),
    ("POST", "/privacy/cases/{case_id}/erasure"),
    ("POST", "/privacy/cases/{case_id}/subject-access.json"),
}


def test_the_pages_and_forms_are_where_the_browser_and_the_emails_expect(
    web: TestClient,
) -> None:
    app = web.app
    assert isinstance(app, FastAPI)
    # the routes as `app.routes` lists them: the browser tests walk it for pages not visited
    routes = {(m, r.path) for r in app.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert routes == ROUTES


def test_a_page_sends_whoever_is_not_signed_in_to_sign_in_and_back(web: TestClient) -> None:
    sent = web.get("/referrals", params={"x": "1"})
    assert sent.status_code == 303
    assert sent.headers["location"] == "/sign-in?next=%2Freferrals%3Fx%3D1"
    assert web.get("/healthz").json() == {"ok": True} and web.get("/readyz").status_code == 200


def test_a_page_not_of_the_person_s_role_is_a_plain_403(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    refused = web.get("/reports/spend")
    assert refused.status_code == 403 and "You cannot see this page" in refused.text
    assert services.sent == []  # the services were not asked


def test_a_form_without_the_session_s_token_has_expired(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    refused = web.post("/referrals", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and "This form has expired" in refused.text
    assert services.sent == []


def test_a_service_that_does_not_answer_is_said_plainly(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "lead-1", "lead-professional")
    services.down = True
    down = web.get("/my-cases")
    assert down.status_code == 503 and "Sorry, the service is unavailable" in down.text


def test_a_refused_token_ends_the_session(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "lead-1", "lead-professional")
    services.answer("GET", "http://panel.test/my/cases", 401, {"detail": "expired"})
    again = web.get("/my-cases")
    assert again.status_code == 303 and again.headers["location"] == "/sign-in?next=%2Fmy-cases"
    assert web.get("/my-cases").headers["location"] == "/sign-in?next=%2Fmy-cases"


def test_a_token_about_to_expire_is_refreshed_first(
    web: TestClient, provider: Provider, services: Services
) -> None:
    provider.lifetime = 5  # within the 30 seconds a token is renewed ahead of its end
    sign_in(web, provider, "lead-1", "lead-professional")
    provider.lifetime = 3600
    services.answer("GET", "http://panel.test/my/cases", 200, [])
    assert web.get("/my-cases").status_code == 200
    assert provider.refreshed
    assert services.sent[-1].headers["Authorization"] == "Bearer token-refreshed"


def test_a_malformed_id_in_an_address_is_refused_before_any_service_is_asked(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    assert web.get("/referrals/not-an-id").status_code == 422
    assert web.get("/referrals/new").status_code == 200  # the form, not a referral called "new"
    assert services.sent == []


def test_pages_are_never_kept_by_the_browser_and_the_frontend_s_files_are(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    assert web.get("/referrals/new").headers["cache-control"] == "no-store"
    assert web.get("/").headers["cache-control"] == "no-store"
    assert "cache-control" not in web.get("/govuk/govuk-frontend.min.css").headers


def test_the_home_page_renews_a_lapsing_token_before_asking_for_the_trays(
    web: TestClient, provider: Provider, services: Services
) -> None:
    provider.lifetime = 5  # within the 30 seconds a token is renewed ahead of its end
    sign_in(web, provider, "lead-1", "lead-professional")
    provider.lifetime = 3600
    services.answer("GET", "http://panel.test/my/cases/due", 200, [])
    assert web.get("/").status_code == 200
    assert services.one("GET", "http://panel.test/my/cases/due").headers["Authorization"] == (
        "Bearer token-refreshed"
    )


def test_a_tray_whose_service_is_down_leaves_the_rest_of_the_home_page(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "chair-1", "panel-chair", "lead-professional")
    services.answer("GET", "http://panel.test/my/work", 503, {"detail": "down"})
    services.answer("GET", "http://panel.test/my/cases/due", 200, [])
    page = web.get("/")
    assert page.status_code == 200
    assert "What waits for you in your meetings could not be shown just now" in page.text
    assert "Due on the cases you lead" in page.text


def test_the_web_app_sets_aside_what_it_built_before_it_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maag.runtime.settings import Settings
    from services.web import app as web
    from services.web.settings import SERVICES

    gc.unfreeze()  # (a service run in this process earlier may have set some aside)
    assert gc.get_freeze_count() == 0
    seen: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(gc.get_freeze_count()))
    monkeypatch.setenv("MAAG_WEB_CLIENT_SECRET", "secret")
    settings = Settings(
        oidc_issuer="http://idp.test/realms/maag",
        service_urls={s: f"http://{s}.test" for s in SERVICES},
        data_dir=tmp_path,
    )
    try:
        web.main(settings)
    finally:
        gc.unfreeze()
    assert seen and seen[0] > 0  # as the services (maag.runtime.collector)
