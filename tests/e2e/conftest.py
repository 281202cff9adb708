"""End-to-end fixtures: the whole system as processes on the real broker, database and
identity provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import identity
from tests.support.system import System, running_system


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
