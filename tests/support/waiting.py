"""Waiting for a position, never for a fixed time: a test that asserts "nothing more
happened" first waits until the reader has provably read everything there was to read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from maag.runtime.messaging.consumer import TrackedConsumer
from maag.runtime.store.application import ServiceApplication


async def until(
    check: Callable[[], Awaitable[bool] | bool], what: str, timeout: float = 30.0
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not in {timeout:.0f} s: {what}")
        await asyncio.sleep(0.05)


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """Where each partition of `topics` ends now."""
    topics = list(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    ]
    assert partitions, f"no partitions of {sorted(topics)}"
    client = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await client.start()
    try:
        return dict(await client.end_offsets(partitions))
    finally:
        await client.stop()


async def consumed_to_end(consumer: TrackedConsumer, bootstrap: str, timeout: float = 30.0) -> None:
    """Until `consumer`'s group has handled every record its topics hold now (it commits
    the offset after each batch it has applied, passed over or dead-lettered)."""
    await group_committed_to_end(bootstrap, consumer.group_id, consumer.subscriptions, timeout)


async def group_committed_to_end(
    bootstrap: str, group: str, topics: Iterable[str], timeout: float = 60.0
) -> None:
    """Until consumer group `group` has committed every record its topics hold now (for a
    consumer in another process)."""
    ends = await end_offsets(bootstrap, topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:

        async def committed() -> bool:
            offsets = await admin.list_consumer_group_offsets(group)
            return all(
                (offsets.get(tp).offset if offsets.get(tp) else 0) >= end
                for tp, end in ends.items()
                if end
            )

        await until(committed, f"group {group} committed to the end", timeout)
    finally:
        await admin.close()


async def follower_caught_up(
    app: ServiceApplication, position: Callable[[], int | None], what: str, timeout: float = 30.0
) -> None:
    """Until a follower of `app`'s log (its `position`) has reached the newest stored event."""

    def caught_up() -> bool:
        return (position() or 0) >= (app.recorder.max_notification_id() or 0)

    await until(lambda: asyncio.to_thread(caught_up), f"{what} caught up", timeout)
