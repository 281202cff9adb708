"""Tokens from the OpenID Connect provider, for the command line, the demo, tests and
benchmarks: a person's (password grant, local realm only), an integrating agency's (client
credentials), and people made on the fly for tests (through the provider's admin API).

Nothing here signs a token: every one comes from the provider.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from maag.ops.identity.realm import LOCAL_PASSWORD, REALM, agency_secret
from maag.runtime.web.auth import (
    AGENCY_CLAIM,
    CLI_CLIENT,
    DISTRICTS_CLAIM,
    POSITION_CLAIM,
    PROVIDER_CLAIM,
    ROLES_CLAIM,
    TIERS_CLAIM,
    agency_client,
)

_EARLY = 60.0  # a cached token is renewed this long before it expires


class ProviderError(RuntimeError):
    """The provider refused or could not be reached; the message says which and why."""


@dataclass(frozen=True)
class Provider:
    """The realm's endpoints, from its issuer URL (e.g. http://127.0.0.1:8180/realms/maag)."""

    issuer: str

    @property
    def base(self) -> str:
        return self.issuer.rsplit("/realms/", 1)[0]

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def device_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/auth/device"


class Tokens:
    """Cached tokens by who they are for, renewed shortly before they expire."""

    def __init__(self, issuer: str, timeout: float = 10.0) -> None:
        self.provider = Provider(issuer.rstrip("/"))
        self.timeout = timeout
        self._cache: dict[tuple[str, ...], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def person(self, username: str, password: str = LOCAL_PASSWORD) -> str:
        """A person's token by password grant (the local realm's CLI client allows it)."""
        form = {
            "grant_type": "password",
            "client_id": CLI_CLIENT,
            "username": username,
            "password": password,
            "scope": "openid",
        }
        return self._cached(("person", username), form)

    def agency(self, agency: str, secret: str | None = None) -> str:
        """An integrating agency's system token (client credentials), for topic submissions."""
        form = {
            "grant_type": "client_credentials",
            "client_id": agency_client(agency),
            "client_secret": secret or agency_secret(agency),
        }
        return self._cached(("agency", agency), form)

    def device(self, say: Callable[[str], None], wait: float = 300.0) -> str:
        """A person's token by device code: they sign in on the provider's page."""
        try:
            r = httpx.post(
                self.provider.device_url, data={"client_id": CLI_CLIENT}, timeout=self.timeout
            )
            r.raise_for_status()
        except httpx.HTTPError as e:
            raise ProviderError(f"the identity provider refused a device sign-in: {e!r}") from None
        started = r.json()
        say(f"Sign in at {started['verification_uri_complete']} (code {started['user_code']})")
        deadline = time.monotonic() + min(wait, float(started.get("expires_in", wait)))
        interval = float(started.get("interval", 5))
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": CLI_CLIENT,
            "device_code": started["device_code"],
        }
        while time.monotonic() < deadline:
            time.sleep(interval)  # the provider's own polling interval (RFC 8628)
            r = httpx.post(self.provider.token_url, data=form, timeout=self.timeout)
            if r.status_code == 200:
                token: str = r.json()["access_token"]
                return token
            error = r.json().get("error") if r.content else None
            if error == "slow_down":
                interval += 5
            elif error != "authorization_pending":
                raise ProviderError(f"device sign-in failed: {error or r.status_code}")
        raise ProviderError("device sign-in was not completed in time")

    def _cached(self, key: tuple[str, ...], form: dict[str, str]) -> str:
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit[1] - _EARLY > time.time():
                return hit[0]
        token = self.grant(form)
        expires = float(jwt.decode(token, options={"verify_signature": False})["exp"])
        with self._lock:
            self._cache[key] = (token, expires)
        return token

    def grant(self, form: dict[str, str]) -> str:
        try:
            r = httpx.post(self.provider.token_url, data=form, timeout=self.timeout)
        except httpx.HTTPError as e:
            raise ProviderError(
                f"the identity provider at {self.provider.issuer} cannot be reached ({e!r}); "
                "is it running (`maag infra status`)?"
            ) from None
        if r.status_code != 200:
            raise ProviderError(
                f"the identity provider refused a {form['grant_type']} grant: "
                f"HTTP {r.status_code} {r.text[:200]}"
            )
        token: str = r.json()["access_token"]
        return token


@dataclass(frozen=True)
class Someone:
    """A person to make in the realm (tests and benchmarks): their id is also their `sub`."""

    user_id: str
    roles: tuple[str, ...]
    agency: str
    districts: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    position: str = "practitioner"
    provider: str | None = None  # a provider's staff: their provider's id

    def representation(self) -> dict[str, Any]:
        attributes = {AGENCY_CLAIM: [self.agency]}
        if self.provider:
            attributes[PROVIDER_CLAIM] = [self.provider]
        if self.districts:
            attributes[DISTRICTS_CLAIM] = list(self.districts)
        if self.tiers:
            attributes[TIERS_CLAIM] = list(self.tiers)
        if self.position != "practitioner":
            attributes[POSITION_CLAIM] = [self.position]
        return {
            "id": self.user_id,
            "username": self.user_id,
            "enabled": True,
            "email": f"{self.user_id}@maag.test",
            "emailVerified": True,
            "firstName": "Test",
            "lastName": self.user_id,
            "attributes": attributes,
            "realmRoles": list(self.roles),
            "credentials": [{"type": "password", "value": LOCAL_PASSWORD, "temporary": False}],
        }

    def matches(self, claims: dict[str, Any]) -> bool:
        return (
            set(claims.get(ROLES_CLAIM, [])) >= set(self.roles)
            and claims.get(AGENCY_CLAIM) == self.agency
            and set(claims.get(DISTRICTS_CLAIM, [])) == set(self.districts)
            and set(claims.get(TIERS_CLAIM, [])) == set(self.tiers)
            and claims.get(POSITION_CLAIM, "practitioner") == self.position
            and claims.get(PROVIDER_CLAIM) == self.provider
        )


class Admin:
    """Makes people in the realm through the admin API (local provider; tests, benchmarks)."""

    def __init__(self, tokens: Tokens, password: str, user: str = "admin") -> None:
        self.tokens = tokens
        self.password = password
        self.user = user
        self._made: set[Someone] = set()

    def _admin_token(self) -> str:
        r = httpx.post(
            f"{self.tokens.provider.base}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self.user,
                "password": self.password,
            },
            timeout=self.tokens.timeout,
        )
        if r.status_code != 200:
            raise ProviderError(f"the provider's admin refused: HTTP {r.status_code}")
        token: str = r.json()["access_token"]
        return token

    def allow_origin(self, client_id: str, origin: str) -> None:
        """Let `client_id` send people back to `origin` too (a web app on a test's own port)."""
        headers = {"Authorization": f"Bearer {self._admin_token()}"}
        base = f"{self.tokens.provider.base}/admin/realms/{REALM}/clients"
        r = httpx.get(base, params={"clientId": client_id}, headers=headers, timeout=30.0)
        if r.status_code != 200 or not r.json():
            raise ProviderError(f"no client {client_id}: HTTP {r.status_code}")
        client = r.json()[0]
        redirects = set(client.get("redirectUris", [])) | {f"{origin}/*"}
        logout = set(
            filter(None, client["attributes"].get("post.logout.redirect.uris", "").split("##"))
        )
        client["redirectUris"] = sorted(redirects)
        client["attributes"]["post.logout.redirect.uris"] = "##".join(
            sorted(logout | {f"{origin}/*"})
        )
        r = httpx.put(f"{base}/{client['id']}", json=client, headers=headers, timeout=30.0)
        if r.status_code not in (200, 204):
            raise ProviderError(f"could not update {client_id}: HTTP {r.status_code}")

    def ensure(self, people: Iterable[Someone]) -> None:
        """Make whoever is missing; someone already there is left as they are."""
        wanted = [p for p in people if p not in self._made]
        if not wanted:
            return
        r = httpx.post(
            f"{self.tokens.provider.base}/admin/realms/{REALM}/partialImport",
            json={"ifResourceExists": "SKIP", "users": [p.representation() for p in wanted]},
            headers={"Authorization": f"Bearer {self._admin_token()}"},
            timeout=30.0,
        )
        if r.status_code != 200:
            raise ProviderError(f"could not make people: HTTP {r.status_code} {r.text[:300]}")
        self._made.update(wanted)

    def token(self, someone: Someone) -> str:
        """Their token, after making them if need be; refuses if they exist with other claims."""
        self.ensure([someone])
        token = self.tokens.person(someone.user_id)
        claims = jwt.decode(token, options={"verify_signature": False})
        if not someone.matches(claims):
            raise ProviderError(
                f"{someone.user_id!r} already exists with other roles or attributes; "
                "give a different user id"
            )
        return token
