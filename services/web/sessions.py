"""Who is signed in. The browser holds only a signed, HTTP-only cookie with a random session
id and the form token; the session itself (the person, their tokens, their latest writes) is
kept in the web app's own table in PostgreSQL (a SQLite file without one), so that every
replica serves every person and a restart signs nobody out.

The row is keyed by a hash of the session id and its content is sealed (Fernet, with a key
derived from the session secret): someone who reads the table holds neither a cookie that
works nor a token."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, Float, LargeBinary, MetaData, String, Table, delete, select, text
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.web.identity import Claims, Token

# last_used is written at most this often: a page view is a read, not a write, of the session
TOUCH_SECONDS = 60.0

METADATA = MetaData()
SESSIONS = Table(
    "web_sessions",
    METADATA,
    Column("id_hash", String(64), primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    Column("last_used", Float, nullable=False, index=True),
)


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

    @classmethod
    def of(cls, kept: dict[str, Any]) -> SignedIn:
        return cls(**{**kept, "roles": tuple(kept["roles"])})


@dataclass(frozen=True)
class Opened:
    """A session as a request found it: what to compare with when the response goes out."""

    sid: str
    who: SignedIn
    sealed_as: str  # its content when read, to write it back only if the request changed it


class Sessions:
    """The sessions table. Each call is one primary-key read or write (sub-millisecond on the
    deployment's PostgreSQL), so it runs in the request's own thread."""

    def __init__(self, engine: Engine, idle_seconds: float, secret: str) -> None:
        self.idle_seconds = idle_seconds
        self._engine = engine
        key = hashlib.sha256(b"maag-web-sessions\0" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        _create(engine)

    def start(self, who: SignedIn) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        who.last_used = now
        with self._engine.begin() as c:
            c.execute(delete(SESSIONS).where(SESSIONS.c.last_used < now - self.idle_seconds))
            c.execute(
                SESSIONS.insert().values(id_hash=_hash(sid), sealed=self._seal(who), last_used=now)
            )
        return sid

    def open(self, sid: str | None) -> Opened | None:
        if not sid:
            return None
        with self._engine.connect() as c:
            row = c.execute(
                select(SESSIONS.c.sealed, SESSIONS.c.last_used).where(
                    SESSIONS.c.id_hash == _hash(sid)
                )
            ).first()
        if row is None:
            return None
        if time.time() - row.last_used > self.idle_seconds:
            self.end(sid)
            return None
        try:
            kept = json.loads(self._fernet.decrypt(row.sealed))
        except InvalidToken:  # sealed under another secret: that session is over
            self.end(sid)
            return None
        who = SignedIn.of(kept)
        return Opened(sid, who, _content(who))

    def keep(self, opened: Opened) -> None:
        """Write the session back if the request changed it (a write's position, renewed
        tokens); else only mark it used, at most once a minute, so that a page read at the
        same time as a write never puts back what the write replaced."""
        who, now = opened.who, time.time()
        changed = _content(who) != opened.sealed_as
        if not changed and now - who.last_used < TOUCH_SECONDS:
            return
        who.last_used = now
        values: dict[str, object] = {"last_used": now}
        if changed:
            values["sealed"] = self._seal(who)
        with self._engine.begin() as c:
            c.execute(
                SESSIONS.update().where(SESSIONS.c.id_hash == _hash(opened.sid)).values(**values)
            )

    def end(self, sid: str | None) -> SignedIn | None:
        """The session gone; its person, whatever its age (signing out needs their ID token)."""
        if not sid:
            return None
        with self._engine.begin() as c:
            sealed = c.execute(
                delete(SESSIONS)
                .where(SESSIONS.c.id_hash == _hash(sid))
                .returning(SESSIONS.c.sealed)
            ).scalar()
        if sealed is None:
            return None
        try:
            return SignedIn.of(json.loads(self._fernet.decrypt(sealed)))
        except InvalidToken:
            return None

    def _seal(self, who: SignedIn) -> bytes:
        return self._fernet.encrypt(json.dumps(asdict(who)).encode())


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _content(who: SignedIn) -> str:
    kept = asdict(who)
    kept.pop("last_used")
    return json.dumps(kept, sort_keys=True)


def _create(engine: Engine) -> None:
    """The table, made by whichever replica starts first (the others wait on the lock)."""
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("SELECT pg_advisory_xact_lock(hashtext('maag-web-sessions'))"))
            schema = c.execute(text("SELECT current_schemas(false)")).scalar()
            if not schema:  # the search path's schema is not made yet
                name = c.execute(text("SHOW search_path")).scalar() or "web"
                c.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{name.split(",")[0].strip()}"'))
        METADATA.create_all(c)


STATE_KEY = "maag_session"  # where a request keeps the session it opened (request.state)


class KeepSessions:
    """Writes back the session a request opened, if the request changed it, before the
    response starts: the person's next request, on any replica, finds their latest write."""

    def __init__(self, app: ASGIApp, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                opened = state.pop(STATE_KEY, None)
                if opened is not None:
                    self.sessions.keep(opened)
            await send(message)

        await self.app(scope, receive, sending)
