"""Getting tokens from the real Keycloak: a seeded person's, an agency system's, a person
signing in with a device code (as `maag audit replay` does), and refusals that say why."""

from __future__ import annotations

import re
import threading
from typing import Any

import jwt
import pytest

from maag.ops.identity.realm import LOCAL_PASSWORD
from maag.ops.identity.tokens import ProviderError, Someone, Tokens
from maag.runtime.web.auth import TokenVerifier
from tests.support.browser import browser, login_form


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_seeded_person_and_an_agency_system_get_tokens_the_services_accept(
    keycloak: Any,
) -> None:
    tokens = Tokens(keycloak.issuer)
    person = TokenVerifier.for_service(keycloak.issuer, None, "panel").verify(
        tokens.person("chair-1")
    )
    assert (person.user_id, person.role.value, person.agency) == (
        "chair-1",
        "panel-chair",
        "social-care",
    )
    system = TokenVerifier.for_service(keycloak.issuer, None, "referral").verify(
        tokens.agency("police")
    )
    assert (system.user_id, system.role.value, system.agency) == (
        "svc-agency-police",
        "referrer",
        "police",
    )
    # an agency system's token is for submissions only: no other service takes it
    panel_claims = _claims(tokens.agency("police"))
    assert panel_claims["aud"] == "maag-referral"


def test_a_wrong_password_or_secret_is_refused_naming_the_grant(keycloak: Any) -> None:
    tokens = Tokens(keycloak.issuer)
    with pytest.raises(ProviderError, match="refused a password grant: HTTP 401"):
        tokens.person("auditor-1", "not-the-password")
    with pytest.raises(ProviderError, match="refused a client_credentials grant: HTTP 401"):
        tokens.agency("education", "not-the-secret")


def test_someone_made_for_a_test_cannot_be_remade_with_other_claims(keycloak: Any) -> None:
    someone = Someone("made-twice-1", ("referrer",), "camhs")
    assert _claims(keycloak.admin.token(someone))["sub"] == "made-twice-1"
    with pytest.raises(ProviderError, match="already exists with other roles"):
        keycloak.admin.token(Someone("made-twice-1", ("auditor",), "county-audit"))


def test_an_auditor_signs_in_with_a_device_code(keycloak: Any) -> None:
    tokens = Tokens(keycloak.issuer)
    shown: list[str] = []
    got: list[str] = []
    signing_in = threading.Thread(target=lambda: got.append(tokens.device(shown.append, 60)))
    signing_in.start()
    while not shown and signing_in.is_alive():
        signing_in.join(0.1)
    url = re.search(r"Sign in at (\S+)", shown[0])
    assert url, shown
    # The auditor, in a browser, opens the link and signs in.
    with browser(follow_redirects=True) as client:
        page = client.get(url.group(1))
        consent = client.post(
            login_form(page), data={"username": "auditor-1", "password": LOCAL_PASSWORD}
        )
        # the provider asks whether the command line may act for them: they say yes
        code = re.search(r'<input[^>]*name="code"[^>]*value="([^"]+)"', consent.text) or re.search(
            r'<input[^>]*value="([^"]+)"[^>]*name="code"', consent.text
        )
        assert code, consent.text[:300]
        done = client.post(login_form(consent), data={"code": code.group(1), "accept": "Yes"})
        assert done.status_code == 200, done.text[:300]
    signing_in.join(30)
    assert got and _claims(got[0])["sub"] == "auditor-1"


def test_one_person_signing_in_several_times_at_once_is_not_locked_out(keycloak: Any) -> None:
    """Keycloak 26 takes concurrent sign-ins of one person for an attack unless told not to
    (two tabs, a retry, parallel tests): each of these would be refused as a disabled user."""
    tokens = Tokens(keycloak.issuer)
    results: list[str] = []

    def sign_in() -> None:
        try:
            tokens.person("coordinator-1")
            results.append("ok")
        except ProviderError as e:
            results.append(str(e))

    threads = [threading.Thread(target=sign_in) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == ["ok"] * 12
