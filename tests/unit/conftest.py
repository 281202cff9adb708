"""Unit tests sign tokens with a test key pair served from a local JWKS endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import identity


@pytest.fixture(autouse=True, scope="module")
def _identity() -> Iterator[identity.LocalIssuer]:
    with identity.using(identity.local()) as local:
        yield local  # type: ignore[misc]


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every service built as `maag serve` builds it, on SQLite, in this module."""
    from tests.support.built import build_all

    built = build_all(lambda name: tmp_path_factory.mktemp(name))
    yield built
    for service in built.values():
        service.app.close()
