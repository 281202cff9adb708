"""Three personas sign in through the real Keycloak, as the web app will (authorization code
with PKCE on its login page), and act on the running system with the token they get: each
may do their part and nothing else."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from maag.ops.identity.realm import LOCAL_PASSWORD, WEB_ORIGIN
from maag.runtime.web.auth import WEB_CLIENT
from tests.support import identity
from tests.support.browser import browser, login_form
from tests.support.referral import details
from tests.support.system import System

REDIRECT = f"{WEB_ORIGIN}/auth/callback"


def sign_in(username: str, password: str) -> str:
    """The browser's part of the authorization code flow, over HTTP: the provider's login
    form, then the code exchanged (with the PKCE verifier) for a token."""
    issuer = identity.current().issuer
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    state = secrets.token_urlsafe(16)
    with browser(follow_redirects=False) as client:
        page = client.get(
            f"{issuer}/protocol/openid-connect/auth",
            params={
                "client_id": WEB_CLIENT,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": REDIRECT,
                "state": state,
                "code_challenge": challenge.decode(),
                "code_challenge_method": "S256",
            },
        )
        assert page.status_code == 200, page.text[:300]
        answer = client.post(login_form(page), data={"username": username, "password": password})
        if answer.status_code != 302:
            raise PermissionError(f"sign-in refused for {username} ({answer.status_code})")
        back = urlsplit(answer.headers["location"])
        query = parse_qs(back.query)
        assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
        assert query["state"] == [state]
        exchanged = client.post(
            f"{issuer}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "client_id": WEB_CLIENT,
                "client_secret": f"{LOCAL_PASSWORD}-web",
                "code": query["code"][0],
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        )
        assert exchanged.status_code == 200, exchanged.text
        token: str = exchanged.json()["access_token"]
        return token


def test_three_personas_sign_in_and_each_does_only_their_part(system: System) -> None:
    system.client().ready()
    referrer = {"Authorization": f"Bearer {sign_in('referrer-education', LOCAL_PASSWORD)}"}
    chair = {"Authorization": f"Bearer {sign_in('chair-1', LOCAL_PASSWORD)}"}
    commissioner = {"Authorization": f"Bearer {sign_in('commissioner-1', LOCAL_PASSWORD)}"}
    claims = jwt.decode(chair["Authorization"][7:], options={"verify_signature": False})
    assert claims["sub"] == "chair-1" and set(claims["roles"]) >= {"panel-chair", "panel-member"}

    r = httpx.post(
        f"{system.url('referral')}/referrals",
        json=details(district="harlow"),
        headers={**referrer, "Idempotency-Key": "sign-in-e2e-0001"},
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    assert r.json()["child"]["given_name"]  # the referrer sees what they gave

    meetings = httpx.get(f"{system.url('panel')}/meetings", headers=chair)
    assert meetings.status_code == 200 and meetings.json()
    providers = httpx.get(f"{system.url('commissioning')}/providers", headers=commissioner)
    assert providers.status_code == 200 and providers.json()

    # Each is refused what is not theirs.
    assert httpx.get(f"{system.url('panel')}/meetings", headers=referrer).status_code == 403
    assert (
        httpx.get(f"{system.url('referral')}/referrals/{case_id}", headers=commissioner).status_code
        == 403
    )
    budget = httpx.put(
        f"{system.url('commissioning')}/budgets/earp/2026", json={"amount_pence": 1}, headers=chair
    )
    assert budget.status_code == 403


def test_a_wrong_password_gets_no_token() -> None:
    try:
        sign_in("chair-1", "not-the-password")
    except PermissionError as e:
        assert "sign-in refused for chair-1" in str(e)
    else:
        raise AssertionError("the provider accepted a wrong password")
