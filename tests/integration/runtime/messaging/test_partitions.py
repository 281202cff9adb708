"""A topic's partitions on the real broker: asked once while the topic exists (the audit
pages read the anchors on every view, and finding a topic lists the whole cluster's), asked
again for as long as a topic is missing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from contracts.topics import ALL_TOPICS
from maag.runtime.messaging import kafka
from tests.support.waiting import until


def test_partitions_are_listed_once_while_every_topic_asked_for_exists(
    kafka_bootstrap: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = ALL_TOPICS[0]
    topic = spec.named(topic_prefix)
    missing = f"{topic_prefix}not-made-yet"
    listings: list[str] = []
    real = kafka._partitions

    async def counted(bootstrap: str, topics: Any, options: dict[str, Any]) -> Any:
        listings.extend(topics)
        return await real(bootstrap, topics, options)

    monkeypatch.setattr(kafka, "_partitions", counted)

    async def run() -> tuple[int, int, int]:
        await kafka.ensure_topics(kafka_bootstrap, topic_prefix, [spec])

        async def listed() -> bool:
            return bool(await real(kafka_bootstrap, [topic], {}))

        # a new topic reaches the cluster's metadata shortly after it is made
        await until(listed, f"{topic} in the cluster's metadata", timeout=10)
        first = await kafka.partitions(kafka_bootstrap, [topic], {})
        again = await kafka.partitions(kafka_bootstrap, [topic], {})
        assert again == first
        none = await kafka.partitions(kafka_bootstrap, [missing], {})
        await kafka.partitions(kafka_bootstrap, [missing], {})
        return len(first), len(none), listings.count(missing)

    found, none, asked_for_missing = asyncio.run(run())
    assert found == spec.partitions and none == 0
    assert listings.count(topic) == 1  # kept: the second read asked the broker nothing
    assert asked_for_missing == 2  # a missing topic is looked for each time
