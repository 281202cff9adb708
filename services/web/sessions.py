"""Who is signed in. The browser holds only a signed, HTTP-only cookie with a random
session id and the form token; the tokens themselves stay here, in memory, and end with
the session (or a restart: people sign in again). One process per deployment, or sticky
sessions, until a shared store is needed."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from services.web.identity import Claims, Token


@dataclass
class SignedIn:
    user_id: str
    name: str
    roles: tuple[str, ...]
    agency: str
    access_token: str
    refresh_token: str | None
    id_token: str | None
    expires_at: float  # when the access token expires (epoch seconds)
    last_used: float = field(default_factory=time.time)
    # Each service's store position after this person's latest write there, sent with their
    # reads so that a page shows what they just did (maag.runtime.store.consistency).
    written: dict[str, int] = field(default_factory=dict)

    def wrote(self, service: str, position: str | None) -> None:
        if position is not None and position.isascii() and position.isdigit():
            self.written[service] = max(int(position), self.written.get(service, 0))

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @classmethod
    def from_token(cls, token: Token) -> SignedIn:
        """From the provider's token response; the claims are the ID token's, which Authlib
        verified (signature, issuer, audience, nonce) before we see them."""
        claims: Claims = token.get("userinfo") or {}
        return cls(
            user_id=str(claims.get("preferred_username") or claims.get("sub", "")),
            name=str(claims.get("name") or claims.get("preferred_username") or ""),
            roles=tuple(str(r) for r in claims.get("roles", ()) or ()),
            agency=str(claims.get("agency", "")),
            access_token=str(token["access_token"]),
            refresh_token=token.get("refresh_token"),
            id_token=token.get("id_token"),
            expires_at=float(token.get("expires_at") or time.time() + 60),
        )


class Sessions:
    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._by_id: dict[str, SignedIn] = {}

    def start(self, who: SignedIn) -> str:
        self._sweep()
        sid = secrets.token_urlsafe(32)
        self._by_id[sid] = who
        return sid

    def get(self, sid: str | None) -> SignedIn | None:
        who = self._by_id.get(sid or "")
        if who is None:
            return None
        now = time.time()
        if now - who.last_used > self.idle_seconds:
            self._by_id.pop(sid or "", None)
            return None
        who.last_used = now
        return who

    def end(self, sid: str | None) -> SignedIn | None:
        return self._by_id.pop(sid or "", None)

    def _sweep(self) -> None:
        now = time.time()
        for sid in [s for s, w in self._by_id.items() if now - w.last_used > self.idle_seconds]:
            self._by_id.pop(sid, None)
