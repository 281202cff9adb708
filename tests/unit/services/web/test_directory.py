"""The directory of people: who a form may offer, from the provider's admin API answers."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.web.backend import Unavailable
from services.web.directory import KeycloakDirectory, people_of
from tests.unit.services.web.stand_ins import Services, directory


def test_disabled_accounts_and_people_without_an_email_are_nobodys_pick() -> None:
    users = [
        {"username": "a", "firstName": "Ann", "lastName": "Lee", "email": "a@x", "enabled": True},
        {"username": "b", "email": "b@x", "enabled": False},
        {"username": "c", "enabled": True},
    ]
    assert [(p.user_id, p.name, p.agency) for p in people_of(users, "r")] == [("a", "Ann Lee", "")]


def test_people_by_role_and_agency_read_once_a_minute() -> None:
    services = Services()
    directory(
        services,
        "lead-professional",
        ("lead-b", "Bea Ray", "health"),
        ("lead-a", "Al Day", "education"),
    )

    async def read() -> tuple[list[str], list[str], str | None, object]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(services)) as http:
            d = KeycloakDirectory("http://idp.test/realms/maag", "maag-web", "s", http)
            everyone = await d.people(role="lead-professional")
            health = await d.people(role="lead-professional", agency="health")
            found = await d.find("lead-a", role="lead-professional")
            return (
                [p.user_id for p in everyone],
                [p.user_id for p in health],
                found.email if found else None,
                await d.find("lead-a", role="panel-chair"),  # no one holds it here: 404
            )

    everyone, health, email, chair = asyncio.run(read())
    assert everyone == ["lead-a", "lead-b"]  # by name
    assert health == ["lead-b"]
    assert email == "lead-a@maag.example"
    assert chair is None
    reads = [r for r in services.sent if r.url.path.endswith("/roles/lead-professional/users")]
    tokens = [r for r in services.sent if r.url.path.endswith("/token")]
    assert (len(reads), len(tokens)) == (1, 1)  # cached: one read and one token for all four


def test_a_directory_that_does_not_answer_is_said_as_a_service_that_does_not() -> None:
    services = Services()
    services.down = True

    async def read() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(services)) as http:
            await KeycloakDirectory("http://idp.test/realms/maag", "maag-web", "s", http).people(
                role="lead-professional"
            )

    with pytest.raises(Unavailable, match="directory of people did not answer"):
        asyncio.run(read())
