"""Integration tests: real Kafka, PostgreSQL and Keycloak."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import identity


@pytest.fixture(autouse=True, scope="module")
def _real_identity(keycloak: Any) -> Iterator[Any]:
    """Tokens come from the real Keycloak here."""
    with identity.using(keycloak):
        yield keycloak
