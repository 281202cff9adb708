"""Tracked idempotent consumers with dead letters.

For each partition's batch: decode every record, drop those at or before the recorded
position (redelivered or republished), run the handlers against one unit of work, and
commit the new events together with the new position in one transaction. Kafka offsets
are committed afterwards and are only a hint: the store's tracking is the truth.

Position: for MAAG event topics, the producer's `ce_sequence` (stable when the outbox
republishes); for inbound topics written by agencies, the Kafka offset.

A record that cannot be decoded, fails its schema, or whose handler fails with a
non-retryable error goes to `<topic>.dlq` with its original bytes and headers, the error
and the consumer's name; the partition moves on. Transient failures (store or broker
unavailable) retry the batch with backoff and never dead-letter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar
from uuid import UUID

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, Tracking
from pydantic import BaseModel

from contracts.envelope import Envelope, EnvelopeError, decode
from contracts.events import IntegrationEvent
from contracts.topics import DLQ_SUFFIX
from maag.runtime import causation
from maag.runtime.application import ServiceApplication
from maag.runtime.logging import bound, get_logger
from maag.runtime.unit_of_work import Work

log = get_logger(__name__)

TRANSIENT: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    KafkaError,
    ConnectionError,
    TimeoutError,
)


class Rejected(Exception):
    """A handler's verdict that a message can never be applied (dead-lettered, not retried)."""


class Position(Enum):
    SEQUENCE = "sequence"  # ce_sequence from a MAAG outbox: stable across republishing
    OFFSET = "offset"  # the Kafka offset: for topics external producers write


M = TypeVar("M")


@dataclass(frozen=True)
class Delivery(Generic[M]):
    message: M
    envelope: Envelope | None
    topic: str
    partition: int
    offset: int

    @property
    def case_id(self) -> str | None:
        return self.envelope.subject if self.envelope else None

    @property
    def correlation_id(self) -> str | None:
        return self.envelope.correlation_id if self.envelope else None

    @property
    def cause(self) -> causation.Cause:
        if self.envelope is not None:
            return causation.of_event(self.envelope.id, self.envelope.type, self.envelope.source)
        return {"record": f"{self.topic}/{self.partition}@{self.offset}"}


Decoder = Callable[[Sequence[tuple[str, bytes]], bytes | None], tuple[Envelope | None, Any]]
Handler = Callable[[Delivery[Any], Work], None]


def decode_event(
    headers: Sequence[tuple[str, bytes]], value: bytes | None
) -> tuple[Envelope | None, BaseModel]:
    return decode(headers, value)


@dataclass(frozen=True)
class Subscription:
    """One topic, how to read its records, and what to do with each."""

    topic: str
    handle: Handler
    decoder: Decoder = decode_event
    position: Position = Position.SEQUENCE
    # Aggregates a delivery's handler will load, read for the whole batch in one query.
    prefetch: Callable[[Delivery[Any]], Iterable[UUID]] | None = None


def on_events(
    topic: str,
    handlers: Mapping[type[IntegrationEvent], Handler],
    prefetch: Callable[[Delivery[Any]], Iterable[UUID]] | None = None,
) -> Subscription:
    """A subscription to a MAAG event topic; events of types without a handler are passed over."""

    def dispatch(delivery: Delivery[Any], work: Work) -> None:
        handler = handlers.get(type(delivery.message))
        if handler is not None:
            handler(delivery, work)

    return Subscription(topic=topic, handle=dispatch, prefetch=prefetch)


@dataclass
class DeadLetter:
    record: ConsumerRecord[bytes, bytes]
    reason: str


@dataclass
class BatchOutcome:
    work: Work
    tracking: Tracking | None
    dead: list[DeadLetter] = field(default_factory=list)
    applied: int = 0


class TrackedConsumer:
    def __init__(
        self,
        app: ServiceApplication,
        subscriptions: Iterable[Subscription],
        *,
        bootstrap: str,
        group_id: str,
        dlq_producer: AIOKafkaProducer,
        max_records: int = 1000,
        session_timeout_ms: int = 10_000,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.app = app
        self.subscriptions = {s.topic: s for s in subscriptions}
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.dlq_producer = dlq_producer
        self.max_records = max_records
        # How long a killed member holds its partitions before the group moves them on.
        self.session_timeout_ms = session_timeout_ms
        self.client_options = client_options or {}
        self.applied = 0  # messages applied, for benchmarks and health
        self.started = asyncio.Event()  # set once the consumer has joined its group

    # --- one batch of one partition: pure function of the records and the store ---

    def process(
        self, tp: TopicPartition, records: Sequence[ConsumerRecord[bytes, bytes]]
    ) -> BatchOutcome:
        sub = self.subscriptions[tp.topic]
        name = f"{tp.topic}:{tp.partition}"
        last = self.app.position(name)
        start = last
        dead: list[DeadLetter] = []
        fresh: list[tuple[ConsumerRecord[bytes, bytes], Delivery[Any]]] = []
        for record in records:
            try:
                envelope, message = sub.decoder(record.headers, record.value)
                if sub.position is Position.SEQUENCE and (
                    envelope is None or envelope.sequence is None
                ):
                    raise EnvelopeError("header ce_sequence: missing")
            except (EnvelopeError, ValueError) as e:
                dead.append(DeadLetter(record, f"{type(e).__name__}: {e}"))
                continue
            pos = envelope.sequence if sub.position is Position.SEQUENCE else record.offset  # type: ignore[union-attr]
            assert pos is not None
            if last is not None and pos <= last:
                continue  # already applied: redelivered or republished
            last = pos
            fresh.append(
                (record, Delivery(message, envelope, tp.topic, tp.partition, record.offset))
            )

        # Run the handlers; a failing message is set aside and the batch re-run without it,
        # so none of its partial changes reach the store.
        ids: set[UUID] = set()
        if sub.prefetch is not None:
            ids = {i for _, d in fresh for i in sub.prefetch(d)}
        histories = self.app.histories(ids) if ids else {}
        excluded: set[int] = set()
        while True:
            work = Work(self.app, ids, histories)
            answered: list[DeadLetter] = []  # handled, and also dead-lettered (this attempt)
            try:
                for i, (record, delivery) in enumerate(fresh):
                    if i not in excluded:
                        self._handle(sub, record, delivery, work, answered)
            except _Failed as failed:
                excluded.add(fresh.index(failed.item))
                dead.append(DeadLetter(failed.item[0], failed.reason))
                log.warning(
                    "dead-lettered",
                    topic=tp.topic,
                    offset=failed.item[0].offset,
                    error=failed.reason,
                )
                continue  # re-run the batch without it, from unchanged state
            dead.extend(answered)
            break
        tracking = Tracking(name, last) if last is not None and last != start else None
        return BatchOutcome(work, tracking, dead, applied=len(fresh) - len(excluded))

    @staticmethod
    def _handle(
        sub: Subscription,
        record: ConsumerRecord[bytes, bytes],
        delivery: Delivery[Any],
        work: Work,
        answered: list[DeadLetter],
    ) -> None:
        with bound(case_id=delivery.case_id, correlation_id=delivery.correlation_id):
            work.dead_letter_reason = None
            work.touched.clear()
            try:
                sub.handle(delivery, work)
            except TRANSIENT:
                raise
            except Exception as e:
                raise _Failed((record, delivery), f"{type(e).__name__}: {e}") from e
            work.stamp_touched(delivery.cause)
            if work.dead_letter_reason is not None:
                answered.append(DeadLetter(record, work.dead_letter_reason))

    def commit(self, outcome: BatchOutcome) -> None:
        if outcome.tracking is not None or outcome.work.aggregates:
            self.app.record(outcome.tracking, outcome.work.aggregates)

    # --- the asynchronous loop ---

    async def dead_letter(self, dead: Sequence[DeadLetter]) -> None:
        pending = []
        for d in dead:
            r = d.record
            headers = [
                *r.headers,
                ("dlq_error", d.reason.encode()),
                ("dlq_consumer", self.group_id.encode()),
                ("dlq_topic", r.topic.encode()),
                ("dlq_partition", str(r.partition).encode()),
                ("dlq_offset", str(r.offset).encode()),
            ]
            pending.append(
                await self.dlq_producer.send(
                    r.topic + DLQ_SUFFIX, value=r.value, key=r.key, headers=headers
                )
            )
        if pending:
            await asyncio.gather(*pending)

    async def handle_batch(
        self, tp: TopicPartition, records: Sequence[ConsumerRecord[bytes, bytes]]
    ) -> None:
        backoff = 0.2
        while True:
            try:
                outcome = await asyncio.to_thread(self.process, tp, records)
                # Dead letters are written before the position moves past them: never lost.
                await self.dead_letter(outcome.dead)
                await asyncio.to_thread(self.commit, outcome)
                self.applied += outcome.applied
                return
            except IntegrityError:
                # Another member of the group got there first (a rebalance): re-read and redo.
                backoff = 0.2
                continue
            except TRANSIENT as e:
                log.warning(
                    "consumer retrying",
                    topic=tp.topic,
                    partition=tp.partition,
                    error=repr(e),
                    in_seconds=backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        consumer = AIOKafkaConsumer(
            *self.subscriptions,
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=self.session_timeout_ms // 3,
            **self.client_options,
        )
        await consumer.start()
        try:
            self.started.set()
            if ready is not None:
                ready.set()
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=100, max_records=self.max_records)
                for tp, records in batches.items():
                    await self.handle_batch(tp, records)
                    try:
                        await consumer.commit({tp: records[-1].offset + 1})
                    except CommitFailedError as e:  # rebalanced away; tracking dedupes
                        log.info("offset commit skipped", topic=tp.topic, error=str(e))
        finally:
            await consumer.stop()


class _Failed(Exception):
    def __init__(
        self, item: tuple[ConsumerRecord[bytes, bytes], Delivery[Any]], reason: str
    ) -> None:
        self.item = item
        self.reason = reason
