"""Runs a built service's background loops inside a test, against the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from tests.support.keys import CHAIN_KEY
from tests.support.referral import KEKS


@asynccontextmanager
async def running(service: Any) -> AsyncIterator[Any]:
    """Start its Kafka clients and every loop; yield once the consumer has joined its group."""
    await service.start()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop(stop)) for loop in service.loops]
    try:
        await asyncio.wait_for(service.consumer.started.wait(), timeout=60)
        yield service
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await service.stop()


async def settings_for(
    kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str, **more: Any
) -> Settings:
    """A test's own topics and schema, with the registry's topics created."""
    await kafka.ensure_topics(kafka_bootstrap, topic_prefix)
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        postgres_url=postgres_url,
        postgres_schema=pg_schema,
        topic_prefix=topic_prefix,
        **{"chain_key": CHAIN_KEY, "key_encryption_keys": KEKS, **more},
    )
