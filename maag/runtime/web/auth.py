"""Bearer tokens from the OpenID Connect provider (Keycloak), verified against its published
keys (JWKS); the same for HTTP and for submissions on the topic.

No service holds a signing key. A token is accepted only when it is signed with an
asymmetric algorithm by a key the provider publishes, names this service as its audience and
the provider as its issuer, lives at most an hour, and carries a MAAG role and a known
organisation. Keys are cached by `kid`: when the provider is down, tokens signed with a known
key keep working, and one signed with a key that cannot be fetched is a 503, never accepted.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from contracts.events import Actor
from contracts.limits import ID_CHARS, PROVIDER_ID_PATTERN
from contracts.reference import ORGANISATIONS, District, Panel, Position, Role

# Asymmetric only: a shared secret (HS256) or no signature (`none`) is refused.
ALGORITHMS = ("RS256", "PS256", "ES256")
MAX_TOKEN_SECONDS = 3600
LEEWAY_SECONDS = 30
ROLES_CLAIM = "roles"
AGENCY_CLAIM = "agency"
DISTRICTS_CLAIM = "districts"
TIERS_CLAIM = "tiers"
POSITION_CLAIM = "position"
# A provider's staff: the provider (its id in the providers' directory) they work for.
PROVIDER_CLAIM = "provider"
_MAX_KID = 200
_MAX_HEADER = 2048  # base64 characters of a token's header: far above a real one
_PEOPLE_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)
PROVIDER_ID = re.compile(PROVIDER_ID_PATTERN)


def audience_of(service: str) -> str:
    """The audience (and the provider's client id) of a service's tokens."""
    return f"maag-{service}"


# The clients whose tokens the services take (the token's `azp`): people through the web app
# or the command line (a local realm's only), and each integrating agency's case system.
WEB_CLIENT = "maag-web"
CLI_CLIENT = "maag-cli"
PEOPLES_CLIENTS = (WEB_CLIENT, CLI_CLIENT)


def agency_client(agency: str) -> str:
    """The client an integrating agency's system submits referrals with (client credentials)."""
    return f"agency-{agency}"


class Unauthenticated(Exception):
    """401: no credentials, or credentials that do not prove who the caller is."""


class Forbidden(Exception):
    """403: the caller is known, but may not do this."""


class ProviderUnavailable(ConnectionError):
    """503: the token names a key we do not hold and the provider cannot be asked for it.
    A ConnectionError, so a consumer retries the batch rather than refusing the record."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Caller:
    user_id: str
    roles: frozenset[Role]
    agency: str
    districts: frozenset[str] = frozenset()
    tiers: frozenset[str] = frozenset()
    position: Position = Position.PRACTITIONER
    # An agency's case system (client credentials), not a person: it may submit referrals
    # and read their outcomes only (maag.runtime.policy).
    system: bool = False
    provider: str | None = None  # a provider's staff: the provider they work for

    @classmethod
    def of(
        cls,
        user_id: str,
        role: Role | Iterable[Role],
        agency: str,
        districts: Iterable[str] = (),
        tiers: Iterable[str] = (),
        position: Position = Position.PRACTITIONER,
        system: bool = False,
        provider: str | None = None,
    ) -> Caller:
        roles = frozenset((role,) if isinstance(role, Role) else role)
        return cls(
            user_id,
            roles,
            agency,
            frozenset(districts),
            frozenset(tiers),
            position,
            system,
            provider,
        )

    @property
    def role(self) -> Role:
        """The role the caller acts, and is recorded, in: the most specific they hold."""
        return next(r for r in Role if r in self.roles)

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, role=self.role, agency=self.agency)

    @property
    def record(self) -> dict[str, str]:
        """The actor as stored events keep it."""
        return {"user_id": self.user_id, "role": self.role.value, "agency": self.agency}

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def leads(self, professional_id: str | None) -> bool:
        """The caller is the lead professional a panel named (by their subject)."""
        return self.has(Role.LEAD_PROFESSIONAL) and professional_id == self.user_id

    def require(self, *roles: Role, to: str) -> None:
        if not self.has(*roles):
            allowed = ", ".join(r.value for r in roles)
            held = ", ".join(sorted(r.value for r in self.roles))
            raise Forbidden(f"role {held!r} may not {to} (allowed: {allowed})")


class KeySet:
    """The provider's signing keys by `kid`, fetched when a token names one we do not hold.

    A fetch replaces the set (so a key the provider retired stops verifying), at most once per
    `refetch_seconds`, so tokens naming made-up kids cannot make us hammer the provider.
    """

    def __init__(
        self,
        jwks_url: str,
        *,
        timeout: float = 3.0,
        refetch_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jwks_url = jwks_url
        self.timeout = timeout
        self.refetch_seconds = refetch_seconds
        self.clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self._fetching = threading.Lock()

    def holds(self, kid: str) -> bool:
        with self._lock:
            return kid in self._keys

    def key(self, kid: str) -> jwt.PyJWK:
        with self._lock:  # held only to read or swap the set, never across a fetch
            if kid in self._keys:
                return self._keys[kid]
        # Single flight: one fetch at a time; the others wait for it at most `timeout`, and
        # a key already held is never behind it (tokens naming made-up kids cannot stall
        # the ones we can check).
        if not self._fetching.acquire(timeout=self.timeout):
            raise ProviderUnavailable(
                "the identity provider's keys are being fetched; try again shortly",
                retry_after=max(1, int(self.refetch_seconds)),
            )
        try:
            with self._lock:
                if kid in self._keys:  # the fetch we waited for brought it
                    return self._keys[kid]
                now = self.clock()
                fetched_at = self._fetched_at
            if fetched_at is not None and now - fetched_at < self.refetch_seconds:
                raise Unauthenticated("token is signed with a key the provider does not publish")
            try:
                response = httpx.get(self.jwks_url, timeout=self.timeout)
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError):
                raise ProviderUnavailable(
                    "the identity provider's keys cannot be fetched; try again shortly",
                    retry_after=max(1, int(self.refetch_seconds)),
                ) from None
            keys = _signing_keys(document)
            with self._lock:
                self._fetched_at = now
                self._keys = keys
            if kid not in keys:
                raise Unauthenticated("token is signed with a key the provider does not publish")
            return keys[kid]
        finally:
            self._fetching.release()


def _signing_keys(document: Any) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    for data in document.get("keys", []) if isinstance(document, dict) else []:
        if not isinstance(data, dict) or data.get("use", "sig") != "sig":
            continue
        kid, alg = data.get("kid"), data.get("alg")
        if not isinstance(kid, str) or alg not in ALGORITHMS:
            continue
        try:
            keys[kid] = jwt.PyJWK(data)
        except jwt.PyJWTError:
            continue
    return keys


class TokenVerifier:
    """Verifies tokens, and remembers the ones it verified until they expire: a token is
    presented many times (a person's calls, an agency system's submissions), and checking
    the same signed bytes again proves nothing new. A remembered token whose key the
    provider has since retired is checked afresh."""

    def __init__(
        self,
        issuer: str | None,
        audience: str,
        keys: KeySet,
        clock: Callable[[], float] = time.time,
        remember: int = 4096,
    ) -> None:
        if not issuer:
            raise ValueError(
                "MAAG_OIDC_ISSUER is not set: refusing to accept unauthenticated calls"
            )
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.clock = clock
        self.remember = remember
        self._verified: OrderedDict[str, tuple[Caller, float, str]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def for_service(cls, issuer: str | None, jwks_url: str | None, service: str) -> TokenVerifier:
        url = jwks_url or (f"{issuer.rstrip('/')}/protocol/openid-connect/certs" if issuer else "")
        return cls(issuer, audience_of(service), KeySet(url))

    def verify(self, token: str) -> Caller:
        with self._lock:
            hit = self._verified.get(token)
        if hit is not None:
            caller, expires, kid = hit
            if self.clock() < expires + LEEWAY_SECONDS and self.keys.holds(kid):
                return caller
            with self._lock:
                self._verified.pop(token, None)
        caller, expires, kid = self._verify(token)
        with self._lock:
            self._verified[token] = (caller, expires, kid)
            while len(self._verified) > self.remember:
                self._verified.popitem(last=False)
        return caller

    def _verify(self, token: str) -> tuple[Caller, float, str]:
        header = _header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            accepted = ", ".join(ALGORITHMS)
            raise Unauthenticated(
                f"token algorithm {str(alg)[:20]!r} is not accepted (accepted: {accepted})"
            )
        if not isinstance(kid, str) or not kid or len(kid) > _MAX_KID:
            raise Unauthenticated("token header lacks a key id ('kid')")
        key = self.keys.key(kid)
        if key.algorithm_name != alg:
            raise Unauthenticated(f"token algorithm {alg!r} is not its key's")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                # expiry is checked below, on this verifier's clock (as remembered tokens are)
                options={"require": ["sub", "exp", "iat", "iss", "aud"], "verify_exp": False},
            )
        except jwt.InvalidAudienceError:
            raise Unauthenticated(f"token is not for this service ({self.audience!r})") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(f"token issuer is not {self.issuer!r}") from None
        except jwt.MissingRequiredClaimError as e:
            raise Unauthenticated(f"token lacks the {e.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("token signature does not verify") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("token is not valid yet") from None
        except jwt.PyJWTError as e:
            raise Unauthenticated(f"token invalid: {type(e).__name__}") from None
        expires = claims["exp"]
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise Unauthenticated("token's 'exp' claim is not a time")
        if self.clock() >= expires + LEEWAY_SECONDS:
            raise Unauthenticated("token expired")
        return _caller(claims), float(expires), kid

    def remembered(self, value: str | None) -> Caller | None:
        """The caller of an Authorization header whose token was verified before and still
        holds (unexpired, its key still held), or None: nothing here waits on anything."""
        scheme, _, token = (value or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self._lock:
            hit = self._verified.get(token.strip())
        if hit is None:
            return None
        caller, expires, kid = hit
        if self.clock() < expires + LEEWAY_SECONDS and self.keys.holds(kid):
            return caller
        return None

    def from_header(self, value: str | None) -> Caller:
        if not value:
            raise Unauthenticated("missing Authorization header (expected 'Bearer <token>')")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization header must be 'Bearer <token>'")
        return self.verify(token.strip())


def _header(token: str) -> dict[str, Any]:
    """The token's header (its key id and algorithm), read without checking anything else:
    the signature and claims are checked with the key it names."""
    segment = token.partition(".")[0]
    if not segment or len(segment) > _MAX_HEADER or token.count(".") != 2:
        raise Unauthenticated("token is not a signed JWT")
    try:
        padded = segment + "=" * (-len(segment) % 4)
        header = json.loads(base64.b64decode(padded, altchars=b"-_", validate=True))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise Unauthenticated("token is not a signed JWT") from None
    if not isinstance(header, dict):
        raise Unauthenticated("token is not a signed JWT")
    return header


def _caller(claims: dict[str, Any]) -> Caller:
    iat, exp = claims["iat"], claims["exp"]
    if not isinstance(iat, int | float) or exp - iat > MAX_TOKEN_SECONDS:
        raise Unauthenticated(f"token lives longer than {MAX_TOKEN_SECONDS} s")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub or len(sub) > ID_CHARS:
        raise Unauthenticated(f"token's 'sub' claim must be 1 to {ID_CHARS} characters")
    held = _strings(claims, ROLES_CLAIM)
    roles = frozenset(r for r in _PEOPLE_ROLES if r.value in held)
    if not roles:
        known = ", ".join(r.value for r in _PEOPLE_ROLES)
        raise Unauthenticated(f"token carries no MAAG role in {ROLES_CLAIM!r} ({known})")
    agency = claims.get(AGENCY_CLAIM)
    if not isinstance(agency, str) or not agency:
        raise Unauthenticated(f"token lacks the {AGENCY_CLAIM!r} claim")
    if agency not in ORGANISATIONS:
        raise Unauthenticated(f"token's agency {agency[:ID_CHARS]!r} is not a known organisation")
    districts = _strings(claims, DISTRICTS_CLAIM)
    if unknown := districts - {d.value for d in District}:
        raise Unauthenticated(f"token names unknown districts: {sorted(unknown)[:3]}")
    tiers = _strings(claims, TIERS_CLAIM)
    if unknown := tiers - {p.value for p in Panel}:
        raise Unauthenticated(f"token names unknown panels: {sorted(unknown)[:3]}")
    position = claims.get(POSITION_CLAIM, Position.PRACTITIONER.value)
    if position not in {p.value for p in Position}:
        known = ", ".join(p.value for p in Position)
        raise Unauthenticated(f"token's {POSITION_CLAIM!r} claim must be one of {known}")
    azp = claims.get("azp")
    system = azp == agency_client(agency)
    if not system and azp not in PEOPLES_CLIENTS:
        raise Unauthenticated(
            f"token was issued to client {str(azp)[:ID_CHARS]!r}, which may not call the "
            f"services (they take {', '.join(PEOPLES_CLIENTS)} and each agency's own system)"
        )
    provider = claims.get(PROVIDER_CLAIM)
    if provider is not None and (
        not isinstance(provider, str) or not PROVIDER_ID.fullmatch(provider)
    ):
        raise Unauthenticated(f"token's {PROVIDER_CLAIM!r} claim must be a provider's id")
    if Role.PROVIDER in roles and provider is None:
        raise Unauthenticated(f"a provider's token names its provider ({PROVIDER_CLAIM!r})")
    return Caller(sub, roles, agency, districts, tiers, Position(position), system, provider)


def _strings(claims: dict[str, Any], name: str) -> frozenset[str]:
    value = claims.get(name, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unauthenticated(f"token's {name!r} claim must be a list of names")
    if len(value) > 50:
        raise Unauthenticated(f"token's {name!r} claim has more than 50 names")
    return frozenset(v[:ID_CHARS] for v in value)
