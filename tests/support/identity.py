"""Tokens for tests, from whichever identity the test's folder uses.

- Unit tests: `LocalIssuer`, a test key pair whose JWKS a local HTTP server on 127.0.0.1
  serves, so the services' real verifier fetches and caches keys as it would in production.
- Integration and end-to-end tests: the real Keycloak (`MAAG_OIDC_ISSUER`), with the people a
  test names made through its admin API (their user id is their `sub`).

`tests/unit/conftest.py`, `tests/integration/conftest.py` and `tests/e2e/conftest.py` choose.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from contracts.reference import District, Panel, Role
from maag.ops.identity.tokens import Admin, Someone, Tokens
from maag.runtime.web.auth import WEB_CLIENT, KeySet, TokenVerifier, audience_of
from maag.services import SPECS

ALL_DISTRICTS = tuple(d.value for d in District)
ALL_TIERS = tuple(p.value for p in Panel)
PANEL_ROLES = {Role.PANEL_MEMBER.value, Role.PANEL_CHAIR.value}
# Roles whose token names the districts served (the front door: its districts' cases).
DISTRICT_ROLES = PANEL_ROLES | {Role.FRONT_DOOR.value}
AUDIENCES = [audience_of(s) for s in SPECS]
KEYCLOAK_HINT = (
    "Start the local infrastructure with `deploy/local/infra.sh up` (Kafka, PostgreSQL and "
    "Keycloak) and export the variables it prints, or run the suite with `bash tests/run.sh`."
)


class Identity(Protocol):
    issuer: str
    jwks_url: str

    def token(self, someone: Someone) -> str: ...


def _roles(role: Role | str | Iterable[Role | str]) -> tuple[str, ...]:
    if isinstance(role, str):  # a Role is a str too
        return (str(role),)
    return tuple(str(r) for r in role)


def someone(
    role: Role | str | Iterable[Role | str] = Role.REFERRER,
    agency: str = "education",
    user: str | None = None,
    districts: Iterable[str] | None = None,
    tiers: Iterable[str] | None = None,
    position: str = "practitioner",
    provider: str | None = None,
) -> Someone:
    """A person: panel members sit county-wide (and the front door serves every district)
    unless their districts and tiers are given; a provider's staff name their provider."""
    roles = _roles(role)
    panel = bool(PANEL_ROLES & set(roles))
    served = bool(DISTRICT_ROLES & set(roles))
    d = tuple(districts) if districts is not None else (ALL_DISTRICTS if served else ())
    t = tuple(tiers) if tiers is not None else (ALL_TIERS if panel else ())
    if user is None:
        user = f"{'+'.join(roles)}-{agency}"
        if districts is not None or tiers is not None or position != "practitioner" or provider:
            digest = hashlib.sha256(json.dumps([roles, agency, d, t, position, provider]).encode())
            user = f"{user[:27]}-{digest.hexdigest()[:8]}"
        elif len(user) > 36:
            digest = hashlib.sha256(json.dumps([roles, agency, d, t]).encode())
            user = f"{user[:27]}-{digest.hexdigest()[:8]}"
    return Someone(user, roles, agency, d, t, position, provider)


class LocalIssuer:
    """A test key pair and its JWKS on 127.0.0.1 (unit tests only)."""

    issuer = "https://idp.test/realms/maag"

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "unit-test-key"
        self.served: list[dict[str, Any]] = [self.jwk(self.key, self.kid)]
        self.fetches = 0
        self.down = False
        # A slow provider: while `gate` is set to an Event, each fetch waits for it (and
        # `fetching` says one is waiting).
        self.gate: threading.Event | None = None
        self.fetching = threading.Event()
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.fetches += 1
                if issuer.gate is not None:
                    issuer.fetching.set()
                    issuer.gate.wait(30)
                if issuer.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps({"keys": issuer.served}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.jwks_url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"

    @staticmethod
    def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        return {**data, "kid": kid, "alg": "RS256", "use": "sig"}

    def claims(self, someone: Someone, **override: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCES,
            "sub": someone.user_id,
            "iat": now,
            "exp": now + 300,
            "roles": list(someone.roles),
            "agency": someone.agency,
            "azp": WEB_CLIENT,  # as the provider names the client that asked
        }
        if someone.districts:
            claims["districts"] = list(someone.districts)
        if someone.tiers:
            claims["tiers"] = list(someone.tiers)
        if someone.position != "practitioner":
            claims["position"] = someone.position
        if someone.provider:
            claims["provider"] = someone.provider
        claims.update(override)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(
        self,
        claims: dict[str, Any],
        key: Any = None,
        kid: str | None = None,
        alg: str = "RS256",
    ) -> str:
        return jwt.encode(
            claims,
            key if key is not None else self.key,
            algorithm=alg,
            headers={"kid": kid or self.kid},
        )

    def token(self, someone: Someone) -> str:
        return self.sign(self.claims(someone))

    def verifier(self, service: str = "referral") -> TokenVerifier:
        return TokenVerifier(self.issuer, audience_of(service), KeySet(self.jwks_url))


class Keycloak:
    """The real provider, from the environment."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.jwks_url = f"{issuer}/protocol/openid-connect/certs"
        self.tokens = Tokens(issuer)
        self.admin = Admin(
            self.tokens, os.environ.get("MAAG_KEYCLOAK_ADMIN_PASSWORD", "maag-local-admin")
        )

    def token(self, someone: Someone) -> str:
        return self.admin.token(someone)


_local: LocalIssuer | None = None
_keycloak: Keycloak | None = None
_current: Identity | None = None


def local() -> LocalIssuer:
    global _local
    if _local is None:
        _local = LocalIssuer()
    return _local


def keycloak() -> Keycloak | None:
    global _keycloak
    if _keycloak is None and (issuer := os.environ.get("MAAG_OIDC_ISSUER")):
        _keycloak = Keycloak(issuer.rstrip("/"))
    return _keycloak


@contextmanager
def using(identity: Identity) -> Iterator[Identity]:
    global _current
    before, _current = _current, identity
    try:
        yield identity
    finally:
        _current = before


def current() -> Identity:
    if _current is None:
        raise RuntimeError("no identity chosen for this test (see tests/*/conftest.py)")
    return _current


def token(
    role: Role | str | Iterable[Role | str] = Role.REFERRER,
    agency: str = "education",
    user: str | None = None,
    districts: Iterable[str] | None = None,
    tiers: Iterable[str] | None = None,
    position: str = "practitioner",
    provider: str | None = None,
) -> str:
    return current().token(someone(role, agency, user, districts, tiers, position, provider))


def auth(
    role: Role | str | Iterable[Role | str] = Role.REFERRER,
    agency: str = "education",
    user: str | None = None,
    districts: Iterable[str] | None = None,
    tiers: Iterable[str] | None = None,
    position: str = "practitioner",
    provider: str | None = None,
) -> dict[str, str]:
    bearer = token(role, agency, user, districts, tiers, position, provider)
    return {"Authorization": f"Bearer {bearer}"}


def verifier(service: str = "referral") -> TokenVerifier:
    """A service's verifier against the current identity's keys."""
    identity = current()
    return TokenVerifier(identity.issuer, audience_of(service), KeySet(identity.jwks_url))


def settings() -> dict[str, Any]:
    """The Settings fields that point a service at the current identity."""
    identity = current()
    return {"oidc_issuer": identity.issuer, "oidc_jwks_url": identity.jwks_url}


def agency_token(agency: str = "education") -> str:
    """An integrating agency's system token (client credentials), for topic submissions."""
    return keycloak_tokens().agency(agency)


def keycloak_tokens() -> Tokens:
    """The real provider's tokens for seeded people (the demo client signs in with these)."""
    found = keycloak()
    if found is None:
        raise RuntimeError(f"MAAG_OIDC_ISSUER is unset. {KEYCLOAK_HINT}")
    return found.tokens
