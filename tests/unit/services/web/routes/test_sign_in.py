"""Signing in at the identity provider and back, each role's links, and signing out there too."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, sign_in


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
