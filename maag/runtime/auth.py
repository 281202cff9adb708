"""Bearer tokens (JWT, HS256) carrying user id, role and agency; the same for HTTP and topics."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from contracts.events import Actor
from contracts.limits import ID_CHARS
from contracts.reference import Role

ALGORITHM = "HS256"


class Unauthenticated(Exception):
    """401: no credentials, or credentials that do not prove who the caller is."""


class Forbidden(Exception):
    """403: the caller is known, but may not do this."""


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: Role
    agency: str

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, role=self.role, agency=self.agency)

    @property
    def record(self) -> dict[str, str]:
        """The actor as stored events keep it."""
        return {"user_id": self.user_id, "role": self.role.value, "agency": self.agency}

    def require(self, *roles: Role, to: str) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role {self.role.value!r} may not {to} (allowed: {allowed})")


class TokenVerifier:
    def __init__(self, secret: str | None, issuer: str) -> None:
        if not secret:
            raise ValueError("MAAG_JWT_SECRET is not set: refusing to accept unauthenticated calls")
        self.secret = secret
        self.issuer = issuer

    def issue(self, user_id: str, role: Role | str, agency: str, ttl_seconds: int = 3600) -> str:
        now = int(time.time())
        claims = {
            "sub": user_id,
            "role": role.value if isinstance(role, Role) else role,
            "agency": agency,
            "iss": self.issuer,
            "iat": now,
            "exp": now + ttl_seconds,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["sub", "exp", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(f"token issuer is not {self.issuer!r}") from None
        except jwt.MissingRequiredClaimError as e:
            raise Unauthenticated(f"token lacks the {e.claim!r} claim") from None
        except jwt.InvalidTokenError as e:
            raise Unauthenticated(f"token invalid: {e}") from None
        role = claims.get("role")
        try:
            parsed = Role(role) if isinstance(role, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            known = ", ".join(r.value for r in Role if r is not Role.SYSTEM)
            raise Unauthenticated(f"token role is not a MAAG role ({known})")
        if parsed is Role.SYSTEM:
            raise Unauthenticated("token role 'system' is reserved for the services themselves")
        agency, sub = claims.get("agency"), claims.get("sub")
        if not isinstance(agency, str) or not agency or len(agency) > ID_CHARS:
            raise Unauthenticated(f"token's 'agency' claim must be 1 to {ID_CHARS} characters")
        if not isinstance(sub, str) or not sub or len(sub) > ID_CHARS:
            raise Unauthenticated(f"token's 'sub' claim must be 1 to {ID_CHARS} characters")
        return Caller(user_id=sub, role=parsed, agency=agency)

    def from_header(self, value: str | None) -> Caller:
        if not value:
            raise Unauthenticated("missing Authorization header (expected 'Bearer <token>')")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization header must be 'Bearer <token>'")
        return self.verify(token.strip())
