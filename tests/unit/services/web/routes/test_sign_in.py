"""Signing in at the identity provider and back, each role's links, signing out there too, and
the home page's work trays (the lead professional's consent to reconfirm)."""

from __future__ import annotations

import html
import re
import uuid

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in

PANEL_DUE = "http://panel.test/my/cases/due"
CONSENT_DUE = "http://referral.test/my/consent/due"


def test_sign_in_goes_to_the_provider_and_comes_back_only_to_a_local_page(
    web: TestClient, provider: Provider
) -> None:
    went = web.get("/sign-in", params={"next": "//evil.test/x"})
    assert went.headers["location"].startswith("http://idp.test/auth?redirect_uri=")
    assert went.headers["location"].endswith("/auth/callback")
    provider.roles = ("referrer",)
    assert web.get("/auth/callback").headers["location"] == "/"
    web.get("/sign-in", params={"next": "/referrals/new"})
    assert web.get("/auth/callback").headers["location"] == "/referrals/new"


def test_each_person_sees_the_links_of_their_own_role(web: TestClient, provider: Provider) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    home = web.get("/").text
    assert 'href="/referrals/new"' in home and 'href="/referrals"' in home
    assert 'href="/budgets"' not in home and 'href="/audit"' not in home
    sign_in(web, provider, "commissioner-1", "commissioner")
    home = web.get("/").text
    assert 'href="/budgets"' in home and 'href="/reports/boards"' in home
    assert 'href="/referrals/new"' not in home


def test_sign_out_ends_the_session_at_the_provider_too(web: TestClient, provider: Provider) -> None:
    csrf = sign_in(web, provider, "lead-1", "lead-professional")
    out = web.post("/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert out.headers["location"] == (
        "http://idp.test/logout?post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A8010%2F"
        "&client_id=maag-web&id_token_hint=id-token"
    )
    assert web.get("/my-cases").status_code == 303  # signed out here too


def test_a_lead_s_tray_lists_consent_to_reconfirm_with_what_the_panel_says_is_due(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "lead-1", "lead-professional")
    planned, consented = str(uuid.uuid4()), str(uuid.uuid4())
    panel_due = [
        {
            "case_id": planned,
            "kind": "action",
            "ref": "a2",
            "due_on": "2027-01-15",
            "overdue": True,
        },
        {
            "case_id": planned,
            "kind": "plan-review",
            "ref": "p",
            "due_on": "2027-02-20",
            "overdue": False,
        },
    ]
    consent_due = [
        {
            "case_id": consented,
            "caf_reference": "CAF-2026-000301",
            "district": "castle-point",
            "given_on": "2026-01-10",
            "due_on": "2027-01-10",
            "overdue": True,
        },
        {
            "case_id": planned,
            "caf_reference": "CAF-2026-000302",
            "district": "harlow",
            "given_on": "2026-02-01",
            "due_on": "2027-02-01",
            "overdue": False,
        },
    ]
    services.answer("GET", PANEL_DUE, 200, panel_due)
    services.answer("GET", CONSENT_DUE, 200, consent_due)
    page = web.get("/").text
    assert services.one("GET", CONSENT_DUE).headers["Authorization"] == "Bearer token-lead-1"
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)[1:]  # less the head
    what = [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r))).strip() for r in rows]
    ref = f"MAAG-{consented.split('-')[0].upper()}"
    assert what[0] == (
        f"{ref} Consent to reconfirm with the family (CAF-2026-000301, Castle Point; "
        "given 10 January 2026) 10 January 2027 Overdue"
    )
    assert what[1].endswith("Plan action a2 15 January 2027 Overdue")  # overdue first
    assert "Consent to reconfirm" in what[2] and "1 February 2027 Due" in what[2]
    assert what[3].endswith("The plan's review 20 February 2027 Due")
    assert f'href="/referrals/{consented}#consent">Consent to reconfirm</a>' in page
    assert f'href="/cases/{consented}">{ref}</a>' in page
    # the referral service down: the panel's items stay, and the page says what is missing
    services.answer("GET", CONSENT_DUE, 503, {"detail": "down"})
    page = web.get("/").text
    assert "What waits for you in consent to reconfirm could not be shown just now" in page
    assert "Plan action a2" in page and "Consent to reconfirm with" not in page
    # the panel down instead: the consent's items still show under the same heading
    services.answer("GET", CONSENT_DUE, 200, consent_due)
    services.answer("GET", PANEL_DUE, 503, {"detail": "down"})
    page = web.get("/").text
    assert "What waits for you in your cases could not be shown just now" in page
    assert "Due on the cases you lead" in page and "CAF-2026-000301" in page
    # nothing due in either
    services.answer("GET", PANEL_DUE, 200, [])
    services.answer("GET", CONSENT_DUE, 200, [])
    assert "Nothing is due on your cases in the next four weeks" in web.get("/").text


def test_only_a_lead_professional_s_home_page_asks_for_consent_to_reconfirm(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    web.get("/")
    assert not [r for r in services.sent if "/my/consent/due" in str(r.url)]
    assert "Due on the cases you lead" not in web.get("/").text
