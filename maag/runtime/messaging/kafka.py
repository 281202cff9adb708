"""Kafka clients configured for the project's guarantees, and topic creation from the registry."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

# aiokafka.admin does not re-export these (0.14): its own module is the only import path
# (an import error, in every test that creates topics, would say it moved).
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.helpers import create_ssl_context

from contracts.topics import ALL_TOPICS, PRODUCER_BATCH_BYTES, TopicSpec
from maag.runtime.logging import get_logger
from maag.runtime.settings import Settings

log = get_logger(__name__)


def record_size(
    key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes | None]]
) -> int:
    """What a record weighs as the broker counts it against `max.message.bytes`."""
    size = len(value or b"") + len(key or b"")
    for name, header in headers or ():
        size += len(name.encode(errors="replace")) + len(header or b"")
    return size


def servers(bootstrap: str) -> list[str]:
    """KAFKA_BOOTSTRAP_SERVERS as Kafka writes it, `host:port,host:port`, as the list the
    clients want (aiokafka takes one string for one address only)."""
    return [s.strip() for s in bootstrap.split(",") if s.strip()]


def producer(bootstrap: str, client_id: str, **options: Any) -> AIOKafkaProducer:
    # Idempotence implies acks=all and keeps per-partition order across retries.
    return AIOKafkaProducer(
        bootstrap_servers=servers(bootstrap),
        client_id=client_id,
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=PRODUCER_BATCH_BYTES,
        request_timeout_ms=30000,
        **options,
    )


def client_options(settings: Settings) -> dict[str, Any]:
    """Authentication for every Kafka client of a service: none locally, SCRAM where the
    broker wants it (a Strimzi KafkaUser)."""
    if not settings.kafka_sasl_username:
        return {}
    options: dict[str, Any] = {
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password or "",
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        options["ssl_context"] = ssl_context(settings)
    return options


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """Trusting only the brokers' CA (Settings refuses SASL_SSL without it)."""
    assert settings.kafka_ca_file is not None
    context: ssl.SSLContext = create_ssl_context(cafile=str(settings.kafka_ca_file))
    return context


async def ensure_topics(
    bootstrap: str, prefix: str = "", specs: Iterable[TopicSpec] = ALL_TOPICS
) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers(bootstrap))
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
        # Topics made before a limit changed take the registry's configuration too.
        present = [spec for spec in specs if spec.named(prefix) in existing]
        if present:
            responses = await admin.alter_configs(
                [
                    ConfigResource(ConfigResourceType.TOPIC, spec.named(prefix), spec.config)
                    for spec in present
                ]
            )
            for response in responses:
                for error_code, message, _, name in response.resources:
                    if error_code:  # e.g. no AlterConfigs right where an operator owns topics
                        log.warning("topic configuration not updated", topic=name, error=message)
        return [t.name for t in missing]
    finally:
        await admin.close()


async def read_to_end(
    bootstrap: str,
    topics: Sequence[str],
    options: dict[str, Any],
    last_records: int | None = None,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topics` (or the last `last_records` of each partition) up to the end
    each partition has now, outside any consumer group; none for a topic that does not
    exist yet."""
    parts = await partitions(bootstrap, topics, options)
    if not parts:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers(bootstrap), enable_auto_commit=False, **options
    )
    await consumer.start()
    try:
        # Assigned first, the topics' metadata is asked for at once (unassigned, the first
        # offsets request waited a retry backoff, 100 ms, for it: most of an auditor's page,
        # as each service reads the anchors on each view); paused before anything is awaited,
        # no fetch from the default position starts meanwhile (it would hold the first real
        # fetch up to fetch_max_wait_ms).
        consumer.assign(parts)
        consumer.pause(*parts)
        ends = await consumer.end_offsets(parts)
        begins = await consumer.beginning_offsets(parts)
        wanted = [tp for tp in parts if ends[tp] > begins[tp]]
        if not wanted:
            return []
        consumer.assign(wanted)  # a new assignment: not paused
        for tp in wanted:
            first = begins[tp] if last_records is None else ends[tp] - last_records
            consumer.seek(tp, max(begins[tp], first))
        found: list[ConsumerRecord[bytes, bytes]] = []
        remaining = set(wanted)
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=10_000)
            if not batch:
                raise TimeoutError(f"the ends of {sorted(map(str, remaining))} did not arrive")
            for tp, records in batch.items():
                for r in records:
                    if r.offset < ends[tp]:
                        found.append(r)
                    if r.offset >= ends[tp] - 1:
                        remaining.discard(tp)
        return found
    finally:
        await consumer.stop()


# Topics' partitions, once every topic asked for exists, kept a few minutes: finding out
# whether a topic exists means listing the whole cluster's topics (a metadata request naming
# a topic would create it where the broker auto-creates), and the audit pages read the anchors
# on every view. A partition added meanwhile is read once this expires.
PARTITIONS_KEPT_SECONDS = 300.0
_known: dict[tuple[str, tuple[str, ...]], tuple[float, list[TopicPartition]]] = {}


async def partitions(
    bootstrap: str, topics: Sequence[str], options: dict[str, Any]
) -> list[TopicPartition]:
    key = (bootstrap, tuple(topics))
    kept = _known.get(key)
    if kept is not None and time.monotonic() - kept[0] < PARTITIONS_KEPT_SECONDS:
        return list(kept[1])
    found = await _partitions(bootstrap, topics, options)
    if {tp.topic for tp in found} == set(topics):  # all there: they stay there
        _known[key] = (time.monotonic(), found)
    return found


async def _partitions(
    bootstrap: str, topics: Sequence[str], options: dict[str, Any]
) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers(bootstrap), **options)
    await admin.start()
    try:
        present = [t for t in topics if t in set(await admin.list_topics())]
        if not present:
            return []
        described = await admin.describe_topics(present)
    finally:
        await admin.close()
    return [
        TopicPartition(d["topic"], p["partition"])
        for d in described
        if not d.get("error_code")
        for p in sorted(d["partitions"], key=lambda p: int(p["partition"]))
    ]
