"""Unit tests sign tokens with a test key pair served from a local JWKS endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import identity


@pytest.fixture(autouse=True, scope="module")
def _identity() -> Iterator[identity.LocalIssuer]:
    with identity.using(identity.local()) as local:
        yield local  # type: ignore[misc]
