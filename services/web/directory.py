"""The directory of people, read from the identity provider: whom a chair may choose as a
lead professional, and whom a lead may put on a plan's team or make an action's owner, by
role and agency, so that nobody types a user id, a name or an email by hand.

The web app reads it with its own client's service account (the realm grants it only
`view-users`), briefly cached: the people of a county change by the day, not the second."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from maag.runtime.web.auth import AGENCY_CLAIM
from services.web.backend import Unavailable

CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Person:
    """Someone in the directory, as a form offers them."""

    user_id: str  # their username: the subject the services record
    name: str
    agency: str
    email: str
    roles: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.agency.replace('-', ' ')})"


class Directory(Protocol):
    async def people(self, *, role: str, agency: str | None = None) -> list[Person]:
        """Everyone holding `role` (of `agency`, if given), by name."""
        ...

    async def find(self, user_id: str, *, role: str) -> Person | None:
        """`user_id` if they hold `role`; None otherwise (the form names the field)."""
        ...


@dataclass
class KeycloakDirectory:
    """The realm's users by realm role, through the admin API."""

    issuer: str  # https://host/realms/<realm>
    client_id: str
    client_secret: str
    http: httpx.AsyncClient
    _token: tuple[str, float] = ("", 0.0)
    _cache: dict[str, tuple[float, list[Person]]] = field(default_factory=dict)

    @property
    def _admin(self) -> str:
        base, _, realm = self.issuer.rstrip("/").rpartition("/realms/")
        return f"{base}/admin/realms/{realm}"

    async def people(self, *, role: str, agency: str | None = None) -> list[Person]:
        everyone = await self._holding(role)
        return [p for p in everyone if agency is None or p.agency == agency]

    async def find(self, user_id: str, *, role: str) -> Person | None:
        return next((p for p in await self._holding(role) if p.user_id == user_id), None)

    async def _holding(self, role: str) -> list[Person]:
        cached = self._cache.get(role)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            return await self._read(role)
        except (httpx.HTTPError, KeyError, ValueError) as e:
            # the page says "try again", as for a service that does not answer
            raise Unavailable(f"the directory of people did not answer ({type(e).__name__})") from e

    async def _read(self, role: str) -> list[Person]:
        response = await self.http.get(
            f"{self._admin}/roles/{role}/users",
            params={"briefRepresentation": "false", "max": "1000"},
            headers={"Authorization": f"Bearer {await self._access()}"},
        )
        if response.status_code == 404:  # no such role: nobody holds it
            return []
        response.raise_for_status()
        found = sorted(people_of(response.json(), role), key=lambda p: (p.name, p.user_id))
        self._cache[role] = (time.monotonic(), found)
        return found

    async def _access(self) -> str:
        token, until = self._token
        if token and time.monotonic() < until:
            return token
        response = await self.http.post(
            f"{self.issuer.rstrip('/')}/protocol/openid-connect/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        response.raise_for_status()
        body = response.json()
        self._token = (str(body["access_token"]), time.monotonic() + 0.8 * body["expires_in"])
        return self._token[0]


def people_of(users: Iterable[Mapping[str, Any]], role: str) -> list[Person]:
    """The admin API's user representations as people; disabled accounts are nobody's pick."""
    found = []
    for u in users:
        if not u.get("enabled", True) or not u.get("email"):
            continue
        attributes = u.get("attributes") or {}
        name = " ".join(x for x in (u.get("firstName"), u.get("lastName")) if x) or u["username"]
        found.append(
            Person(
                user_id=str(u["username"]),
                name=name,
                agency=str((attributes.get(AGENCY_CLAIM) or [""])[0]),
                email=str(u["email"]),
                roles=(role,),
            )
        )
    return found
