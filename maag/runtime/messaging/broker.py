"""Kafka through FastStream: the services' subscribers and publishers are declared on
FastStream's `KafkaBroker`, and the AsyncAPI document is generated from those same
declarations (`maag/ops/asyncapi.py`).

FastStream runs the consumer group (batches of up to `max_records`, manual
acknowledgement: the offset is committed only after the batch is applied or set aside,
never before, as FastStream's default at-most-once policy would) and publishes the outbox's
events (idempotent producer, so acks=all and per-partition order across retries).

Where the runtime adapts FastStream, and why:
- The subscriber's parser hands FastStream copies of the records without their headers,
  and its decoder gives no body. FastStream decodes every header as UTF-8 and every body
  as JSON before a handler runs: one hostile record (a header of invalid UTF-8, a body
  that is not JSON) fails the whole batch, which FastStream logs and passes over
  unacknowledged. The handler receives the original records and the runtime reads them
  strictly itself (`maag.runtime.messaging.consumer`), dead-lettering what it refuses.
- Dead letters are sent with aiokafka's producer (`maag.runtime.messaging.kafka.producer`): they
  carry the original header bytes, which need not be UTF-8 and may repeat a name, and
  FastStream's publish takes headers as a dict of strings.
tests/unit/runtime/messaging/test_messaging.py fails if either stops holding.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Union

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.publisher import BatchPublisher, DefaultPublisher
from faststream.security import BaseSecurity, SASLScram512

from contracts.topics import ALL_TOPICS, EVENT_TOPICS, PRODUCER_BATCH_BYTES, TopicSpec
from maag.runtime.logging import get_logger
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings

Records = tuple[ConsumerRecord[bytes, bytes], ...]
OnBatch = Callable[[Records, KafkaMessage], Awaitable[None]]
Publisher = DefaultPublisher | BatchPublisher


def security(settings: Settings) -> BaseSecurity | None:
    """None locally; SCRAM where the broker authenticates clients (a Strimzi KafkaUser)."""
    if not settings.kafka_sasl_username:
        return None
    tls = settings.kafka_security_protocol == "SASL_SSL"
    return SASLScram512(
        settings.kafka_sasl_username,
        settings.kafka_sasl_password or "",
        ssl_context=kafka.ssl_context(settings) if tls else None,
        use_ssl=tls,
    )


def broker(bootstrap: str, client_id: str, auth: BaseSecurity | None = None) -> KafkaBroker:
    return KafkaBroker(
        kafka.servers(bootstrap),
        client_id=client_id,
        enable_idempotence=True,  # implies acks=all
        linger_ms=5,
        max_batch_size=PRODUCER_BATCH_BYTES,
        request_timeout_ms=30000,
        security=auth,
        logger=get_logger("faststream"),
        log_level=logging.DEBUG,  # "Received"/"Processed" per batch; errors still log
    )


def topic_spec(name: str) -> TopicSpec:
    """The registry's topic behind `name`, with or without an environment's prefix."""
    for spec in ALL_TOPICS:
        if name == spec.name or name.endswith("." + spec.name):
            return spec
    raise KeyError(f"{name} is not a registry topic")


async def _headerless(records: Records, original: Callable[[Records], Awaitable[Any]]) -> Any:
    # FastStream's message is made from a header-less copy of the first record alone (it
    # only names the batch); the handler reads the originals, headers and all.
    message = await original((dataclasses.replace(records[0], headers=()),))
    message.raw_message = records
    return message


async def _no_body(message: Any, original: Any = None) -> list[Any]:
    return []  # valid for the handler's annotation; the runtime decodes the records itself


def subscribe(
    kafka: KafkaBroker,
    topics: Sequence[str],
    *,
    group_id: str,
    on_batch: OnBatch,
    max_records: int = 1000,
    session_timeout_ms: int = 10_000,
    service: str,
) -> None:
    """The consumer group `group_id` on `topics`, each batch to `on_batch` with the records
    as they are on the wire; `on_batch` acknowledges."""
    models = tuple(m for t in topics for m in topic_spec(t).messages)

    async def handle(body: Any, message: KafkaMessage) -> None:
        await on_batch(message.raw_message, message)

    # FastStream documents the payload from the handler's annotation.
    handle.__annotations__ = {"body": list[Union[models]], "message": KafkaMessage, "return": None}  # type: ignore[valid-type]  # noqa: UP007
    kafka.subscriber(
        *topics,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        # FastStream sleeps this long again after a poll that found nothing: kept short, or
        # a record arriving then waits for it.
        batch_timeout_ms=20,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=session_timeout_ms // 3,
        parser=_headerless,
        decoder=_no_body,
        title=f"{service}:consumes",
        description=f"The {service} service's consumer group {group_id}: each record applied "
        "once (its position recorded with its effects), or dead-lettered with the reason.",
    )(handle)


def publisher(kafka: KafkaBroker, topic: TopicSpec, name: str, service: str) -> Publisher:
    """The publisher of `topic` (named `name` in this environment) for `service`."""
    dead_letters = topic.name.endswith(".dlq")
    # A dead-letter topic holds the records of its source topic (as they came, or not).
    models = (
        topic_spec(topic.name.removesuffix(".dlq")).messages if dead_letters else topic.messages
    )
    return kafka.publisher(
        name,
        schema=Union[models],  # noqa: UP007
        title=f"{topic.name}:{service}",
        description=topic.description
        + (
            f" Written by the {service} service: the original record, its credentials taken "
            "out, with why (see the dlq_* headers)."
            if dead_letters
            else ""
        ),
    )


# FastStream gives every record it publishes a correlation id header of its own (and a
# content-type); the relay puts both among a record's headers itself, so that what it
# weighs against the topic's limit is what goes on the wire.
CORRELATION_HEADER = "correlation_id"


class EventPublisher:
    """Publishes the outbox's records through the service's FastStream publishers:
    `send` enqueues one and returns the future of its acknowledgement."""

    def __init__(
        self,
        kafka: KafkaBroker,
        service: str,
        prefix: str,
        topics: Sequence[TopicSpec] | None = None,
    ) -> None:
        """`topics`: where it publishes (default: the event topics `service` owns)."""
        self.broker = kafka
        if topics is None:
            topics = [t for t in EVENT_TOPICS if t.owner == service]
        self.publishers = {
            t.named(prefix): publisher(kafka, t, t.named(prefix), service) for t in topics
        }

    async def send(
        self, topic: str, *, value: bytes, key: bytes, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        fields = {name: raw.decode() for name, raw in headers}  # ours: ASCII, names unique
        future: Awaitable[Any] = await self.publishers[topic].publish(
            value,
            key=key,
            headers=fields,
            correlation_id=fields.get(CORRELATION_HEADER),
            no_confirm=True,
        )
        return future

    async def start(self) -> None:
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
