from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts.topics import REFERRAL_EVENTS
from maag.runtime.messaging import kafka
from maag.runtime.messaging.broker import EventPublisher
from maag.runtime.settings import Settings
from tests.support.pipeline import intake_publisher


@pytest.fixture
async def settings(
    kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> Settings:
    await kafka.ensure_topics(
        kafka_bootstrap, topic_prefix, [REFERRAL_EVENTS, REFERRAL_EVENTS.dead_letters]
    )
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        postgres_url=postgres_url,
        postgres_schema=pg_schema,
        topic_prefix=topic_prefix,
    )


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = kafka.producer(kafka_bootstrap, "test")
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def publisher(settings: Settings) -> AsyncIterator[EventPublisher]:
    """The test intake's relay publisher (FastStream), started."""
    p = intake_publisher(settings)
    await p.start()
    yield p
    await p.stop()


async def read_all(bootstrap: str, topic: str, expected: int, timeout: float = 20.0) -> list[Any]:
    """Every record on `topic` (waits until at least `expected` arrived)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for rs in batch.values():
                records.extend(rs)
            if len(records) >= expected:
                # one more short poll so that extras (duplicates) are seen too
                for rs in (await consumer.getmany(timeout_ms=300)).values():
                    records.extend(rs)
                break
    finally:
        await consumer.stop()
    return records


async def read_to_end(bootstrap: str, topic: str) -> list[Any]:
    """Every record on `topic` up to its end offsets now (all partitions)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while not consumer.assignment():
            assert asyncio.get_running_loop().time() < deadline, f"no partitions of {topic}"
            for rs in (await consumer.getmany(timeout_ms=100)).values():
                records.extend(rs)
        partitions = list(consumer.assignment())
        end = await consumer.end_offsets(partitions)
        while True:
            positions = [await consumer.position(tp) for tp in partitions]
            if all(pos >= end[tp] for pos, tp in zip(positions, partitions, strict=True)):
                return records
            for rs in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(rs)
    finally:
        await consumer.stop()
