"""End-to-end fixtures: the whole system as processes on the real broker, database and
identity provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from maag.ops.demo.client import wait_for
from maag.runtime.web.auth import WEB_CLIENT
from tests.support import identity
from tests.support.system import System, running_system
from tests.support.web import chromium, up


@pytest.fixture(autouse=True, scope="module")
def _real_identity(keycloak: Any) -> Iterator[Any]:
    """Tokens come from the real Keycloak here."""
    with identity.using(keycloak):
        yield keycloak


@pytest.fixture
def system(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> Iterator[System]:
    with running_system(tmp_path, kafka_bootstrap, postgres_url, pg_schema, topic_prefix) as s:
        yield s


@pytest.fixture
def web(system: System) -> str:
    """The web app's origin, allowed as a redirect by the real Keycloak, once it answers."""
    origin = system.url("web")
    found = identity.keycloak()
    assert found is not None
    found.admin.allow_origin(WEB_CLIENT, origin)  # the test's own port, like 8010 locally
    system.client().ready()
    wait_for("the web app", lambda: True if up(origin) else None)
    return origin


@pytest.fixture
def browser(web: str) -> Iterator[Browser]:
    # after the system is up: Playwright's sync API holds an event loop in this thread
    with chromium() as b:
        yield b
