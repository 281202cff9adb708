"""Kafka clients configured for the project's guarantees, and topic creation from the registry."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts.topics import ALL_TOPICS, TopicSpec


def producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    # Idempotence implies acks=all and keeps per-partition order across retries.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=1024 * 1024,
        request_timeout_ms=30000,
    )


def consumer(bootstrap: str, group_id: str, topics: Iterable[str]) -> AIOKafkaConsumer:
    # Offsets are committed by hand after the store commits; the store's tracking is the truth.
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=1000,
    )


async def ensure_topics(
    bootstrap: str, prefix: str = "", specs: Iterable[TopicSpec] = ALL_TOPICS
) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        brokers = len((await admin.describe_cluster())["brokers"])
        missing = [
            NewTopic(
                spec.named(prefix),
                num_partitions=spec.partitions,
                replication_factor=min(3, brokers),
                topic_configs=spec.config,
            )
            for spec in specs
            if spec.named(prefix) not in existing
        ]
        if missing:
            await admin.create_topics(missing)
        return [t.name for t in missing]
    finally:
        await admin.close()
