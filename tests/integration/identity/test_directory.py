"""The directory of people read from the real Keycloak with the web app's own service account:
whom a form offers for a job, and nobody outside the role."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from maag.ops.identity.realm import local_web_env
from maag.runtime.web.auth import WEB_CLIENT
from services.web.directory import KeycloakDirectory, Person


def _directory(issuer: str, http: httpx.AsyncClient) -> KeycloakDirectory:
    return KeycloakDirectory(issuer, WEB_CLIENT, local_web_env()["MAAG_WEB_CLIENT_SECRET"], http)


def test_the_lead_professionals_of_an_agency_and_nobody_outside_the_role(keycloak: Any) -> None:
    async def read() -> tuple[list[Person], list[Person], Person | None, Person | None]:
        async with httpx.AsyncClient(timeout=10) as http:
            directory = _directory(keycloak.issuer, http)
            return (
                await directory.people(role="lead-professional"),
                await directory.people(role="lead-professional", agency="education"),
                await directory.find("lead-education", role="lead-professional"),
                await directory.find("chair-1", role="lead-professional"),
            )

    everyone, education, lead, chair = asyncio.run(read())
    assert "lead-education" in {p.user_id for p in everyone}
    assert {p.roles for p in everyone} == {("lead-professional",)}
    assert "chair-1" not in {p.user_id for p in everyone}
    assert [p.user_id for p in education] == ["lead-education"]
    assert lead == Person(
        "lead-education",
        "Lead professional education",
        "education",
        "lead-education@maag.example",
        ("lead-professional",),
    )
    assert chair is None  # a chair is not a lead professional: a form refuses them


def test_the_service_account_cannot_change_anyone(keycloak: Any) -> None:
    """Read-only: the web app's account may not create or change people at the provider."""

    async def write() -> int:
        async with httpx.AsyncClient(timeout=10) as http:
            directory = _directory(keycloak.issuer, http)
            token = await directory._access()  # the account's own token, as the directory has it
            base = keycloak.issuer.replace("/realms/", "/admin/realms/")
            created = await http.post(
                f"{base}/users",
                json={"username": "not-allowed", "enabled": True},
                headers={"Authorization": f"Bearer {token}"},
            )
            return created.status_code

    assert asyncio.run(write()) == 403
