"""End-to-end fixtures: the whole system as processes on the real broker and database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.system import System, running_system


@pytest.fixture
def system(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> Iterator[System]:
    with running_system(tmp_path, kafka_bootstrap, postgres_url, pg_schema, topic_prefix) as s:
        yield s
