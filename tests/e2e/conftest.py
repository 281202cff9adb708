"""End-to-end fixtures: the whole system as processes on the real broker and database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from maag.runtime import kafka
from tests.support.system import System


@pytest.fixture
def system(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> Iterator[System]:
    asyncio.run(kafka.ensure_topics(kafka_bootstrap, topic_prefix))
    s = System(tmp_path, kafka_bootstrap, postgres_url, pg_schema, topic_prefix)
    s.start()
    yield s
    s.stop()
