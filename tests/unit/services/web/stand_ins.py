"""Stand-ins for what the web app talks to: the four services' APIs (answering as a test
sets them, and keeping what was sent) and the identity provider (signing in whoever a test
names); and signing a person in through the app's own routes."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import httpx
from fastapi.testclient import TestClient

from services.web.identity import Token


@dataclass
class Services:
    """The four services' APIs, answering as each test sets them."""

    answers: dict[tuple[str, str], tuple[int, object]] = field(default_factory=dict)
    sent: list[httpx.Request] = field(default_factory=list)
    down: bool = False

    def answer(self, method: str, url: str, status: int, body: object) -> None:
        self.answers[(method, url)] = (status, body)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        status, body = self.answers.get(
            (request.method, str(request.url.copy_with(query=None))), (404, {"detail": "none"})
        )
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    def one(self, method: str, url: str) -> httpx.Request:
        found = [
            r for r in self.sent if r.method == method and str(r.url.copy_with(query=None)) == url
        ]
        assert len(found) == 1, [f"{r.method} {r.url}" for r in self.sent]
        return found[0]


@dataclass
class Provider:
    """The identity provider: whoever the next callback signs in."""

    user: str = "someone"
    roles: tuple[str, ...] = ()
    refreshed: list[str] = field(default_factory=list)
    lifetime: float = 3600  # seconds until the token expires

    def token(self) -> Token:
        return {
            "access_token": f"token-{self.user}",
            "refresh_token": "refresh",
            "id_token": "id-token",
            "expires_at": time.time() + self.lifetime,
            "userinfo": {
                "preferred_username": self.user,
                "name": self.user.title(),
                "roles": list(self.roles),
                "agency": "education",
            },
        }


def sign_in(web: TestClient, provider: Provider, user: str, *roles: str) -> str:
    """Signs `user` in; returns the session's form token."""
    provider.user, provider.roles = user, roles
    assert web.get("/sign-in", params={"next": "/"}).status_code == 302
    assert web.get("/auth/callback").headers["location"] == "/"
    token = form_token(web.get("/").text)
    # the home page asks the services for the person's work trays: a test's services have
    # heard only what the test itself asks for from here on
    services: Services | None = getattr(web.app.state, "services", None)  # type: ignore[attr-defined]
    if services is not None:
        services.sent.clear()
    return token


def form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


IDP = "http://idp.test"


def directory(services: Services, role: str, *people: tuple[str, str, str]) -> None:
    """The identity provider's directory holding `people` (username, "First Last", agency)
    in `role`, as its admin API answers the web app's service account."""
    services.answer(
        "POST",
        f"{IDP}/realms/maag/protocol/openid-connect/token",
        200,
        {"access_token": "directory-token", "expires_in": 300},
    )
    services.answer(
        "GET",
        f"{IDP}/admin/realms/maag/roles/{role}/users",
        200,
        [
            {
                "username": user,
                "firstName": name.split(" ", 1)[0],
                "lastName": name.split(" ", 1)[-1],
                "email": f"{user}@maag.example",
                "enabled": True,
                "attributes": {"agency": [agency]},
            }
            for user, name, agency in people
        ],
    )
