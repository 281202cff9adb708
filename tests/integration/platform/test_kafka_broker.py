"""The broker really is Kafka: idempotent producer, consumer groups, committed offsets."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import NewTopic


async def test_idempotent_producer_and_a_restarted_group_resumes_after_its_commit(
    kafka_bootstrap: str, kafka_admin: Any, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}platform"
    await kafka_admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for i in range(10):
            meta = await producer.send_and_wait(topic, key=b"case-1", value=f"m{i}".encode())
            assert meta.offset == i
    finally:
        await producer.stop()

    group = f"{topic_prefix}group"
    first = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await first.start()
    try:
        seen: list[bytes | None] = []
        while len(seen) < 4:
            msg = await first.getone()
            seen.append(msg.value)
        await first.commit({TopicPartition(topic, 0): 4})  # the next offset to read
    finally:
        await first.stop()
    assert seen == [b"m0", b"m1", b"m2", b"m3"]

    second = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await second.start()
    try:
        resumed = [(await second.getone()).value for _ in range(6)]
    finally:
        await second.stop()
    assert resumed == [f"m{i}".encode() for i in range(4, 10)]


async def test_the_producer_is_idempotent_with_acks_all(
    kafka_bootstrap: str, kafka_admin: Any, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}idem"
    await kafka_admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"x")
        # The broker grants a producer id only to an idempotent producer (InitProducerId);
        # a Kafka look-alike without it fails here, not later.
        assert producer._sender._acks == -1  # idempotence forces acks=all
        assert producer._txn_manager is not None
        assert producer._txn_manager.producer_id >= 0
    finally:
        await producer.stop()
