"""Tracked idempotent consumers with dead letters.

For each partition's batch: decode every record, drop those at or before the recorded
position (redelivered or republished), run the handlers against one unit of work, and
commit the new events together with the new position in one transaction. Kafka offsets
are committed afterwards and are only a hint: the store's tracking is the truth. A batch
holding nothing the consumer's handlers take (another service's events) changes nothing,
so it is passed over without reading or moving the position: seen again, it is passed over
again.

Position: for MAAG event topics, the producer's `ce_sequence` (stable when the outbox
republishes); for inbound topics written by agencies, the Kafka offset.

Nothing a sender puts on a topic can stop a consumer. A record over the topic's declared
size is dead-lettered unread; a record the decoder refuses for any reason (any exception it
raises, not only a validation error, except a transient one such as the identity provider
being away, which retries like the store's), or whose handler fails with a non-retryable error,
goes to `<topic>.dlq` with its original bytes and known headers (any other header taken
out), the error and the consumer's name; the partition moves on. Other failures (store or broker
unavailable, a conflict with another member) retry the batch with backoff, never
dead-letter, and stop promptly when the service stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from eventsourcing.persistence import IntegrityError, Tracking
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.security import BaseSecurity
from pydantic import BaseModel

from contracts.envelope import HEADER_NAMES, Envelope, EnvelopeError, decode
from contracts.events import IntegrationEvent
from contracts.limits import DEAD_LETTER_OVERHEAD_BYTES, TEXT_CHARS
from contracts.topics import DLQ_SUFFIX, max_message_bytes
from maag.runtime import causation
from maag.runtime.follow.loops import Backoff, sleep_or_stop
from maag.runtime.logging import bound, get_logger
from maag.runtime.messaging import broker as messaging
from maag.runtime.messaging.kafka import record_size
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.liveness import STORE_UNAVAILABLE
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web import metrics

log = get_logger(__name__)

TRANSIENT: tuple[type[BaseException], ...] = (
    *STORE_UNAVAILABLE,
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
# Any service's policy: typed with its own `Work[XApp]`, which the runtime does not know.
Handler = Callable[[Delivery[Any], Work[Any]], None]


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
    # The message types its handlers take (None: every one). Most of a topic's events are for
    # other services: nothing is read for them, and a batch of nothing else is passed over
    # without a transaction (a redelivery of it is passed over again).
    takes: frozenset[type] | None = None

    def taken(self, message: Any) -> bool:
        return self.takes is None or type(message) in self.takes

    @property
    def max_bytes(self) -> int:
        """The topic's declared largest record: anything bigger is dead-lettered unread."""
        return max_message_bytes(self.topic)


def on_events(
    topic: str,
    handlers: Mapping[type[IntegrationEvent], Handler],
    prefetch: Callable[[Delivery[Any]], Iterable[UUID]] | None = None,
) -> Subscription:
    """A subscription to a MAAG event topic; events of types without a handler are passed over,
    and nothing is read from the store for them (`Subscription.takes`)."""

    def dispatch(delivery: Delivery[Any], work: Work) -> None:
        handler = handlers.get(type(delivery.message))
        if handler is not None:
            handler(delivery, work)

    return Subscription(topic=topic, handle=dispatch, prefetch=prefetch, takes=frozenset(handlers))


@dataclass
class DeadLetter:
    record: ConsumerRecord[bytes, bytes]
    reason: str
    keep_value: bool = True  # False for a record over the size limit: its value stays behind


# The headers a dead letter may carry (lower-case names): those the project's own records
# are known to hold, none of them a credential. Everything else a sender put on the record
# is taken out, whatever it is called: a denylist of secret-looking names misses `x-jwt`,
# `x-client-key` and whatever an agency's system invents next.
# (tests/unit/runtime/messaging/test_dead_letter_headers.py: every header the envelope writes
# is here.)
KNOWN_HEADERS = HEADER_NAMES | {
    "content-type",
    messaging.CORRELATION_HEADER,  # FastStream's copy of the correlation id
}
# Value prefixes of a credential: taken out even under a known name.
_SECRET_VALUES = (b"bearer ", b"basic ", b"digest ")
# A removed value shorter than this is not looked for in the reason (it would match anything).
_QUOTED_BYTES = 6
# What of an oversized record's headers a dead letter may still carry.
_OVERSIZE_HEADERS = DEAD_LETTER_OVERHEAD_BYTES // 2


def is_kept_header(name: str, value: bytes | None) -> bool:
    """Whether a dead letter may carry this header: a known name, holding no credential."""
    return name.lower() in KNOWN_HEADERS and not (value or b"")[:16].lower().lstrip().startswith(
        _SECRET_VALUES
    )


def dead_letter_headers(
    record: ConsumerRecord[bytes, bytes], reason: str, consumer: str, keep_value: bool
) -> list[tuple[str, bytes]]:
    """The original record's known headers (`KNOWN_HEADERS`; every other one is named in
    dlq_removed_headers), then why. For a record over its size limit the value, and headers
    past a budget, stay behind."""
    kept: list[tuple[str, bytes]] = []
    removed: list[str] = []
    for name, value in record.headers or ():
        if is_kept_header(name, value):
            kept.append((name, value or b""))
        else:
            removed.append(name)
    if not keep_value and sum(len(k) + len(v) for k, v in kept) > _OVERSIZE_HEADERS:
        # An oversized record's headers may be what is oversized: they stay behind too,
        # so the dead letter always fits its topic.
        removed += [k for k, _ in kept]
        kept = []
    # A decoder's error may quote a header it refused (the envelope's do): a value taken out
    # is taken out of the reason too.
    for name, value in record.headers or ():
        if name in removed and value and len(value) >= _QUOTED_BYTES:
            reason = reason.replace(value.decode(errors="replace"), "(removed)")
    extra = [
        ("dlq_error", reason[:TEXT_CHARS].encode(errors="replace")),
        ("dlq_consumer", consumer.encode()),
        ("dlq_topic", record.topic.encode()),
        ("dlq_partition", str(record.partition).encode()),
        ("dlq_offset", str(record.offset).encode()),
    ]
    if removed:
        extra.append(("dlq_removed_headers", ",".join(sorted(set(removed))).encode()))
    if not keep_value:
        extra.append(("dlq_value_bytes", str(len(record.value or b"")).encode()))
    return [*kept, *extra]


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
        security: BaseSecurity | None = None,
        service: str = "",
    ) -> None:
        self.app = app
        self.subscriptions = {s.topic: s for s in subscriptions}
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.dlq_producer = dlq_producer
        self.max_records = max_records
        # How long a killed member holds its partitions before the group moves them on.
        self.session_timeout_ms = session_timeout_ms
        self.security = security
        self.service = service or group_id  # names its subscriber in the AsyncAPI document
        self.applied = 0  # messages applied, for benchmarks and health
        self.started = asyncio.Event()  # set once the consumer has joined its group

    # --- one batch of one partition: pure function of the records and the store ---

    def process(
        self, tp: TopicPartition, records: Sequence[ConsumerRecord[bytes, bytes]]
    ) -> BatchOutcome:
        sub = self.subscriptions[tp.topic]
        dead, decoded = self._decoded(sub, records)
        if not dead and not any(sub.taken(message) for _, _, message in decoded):
            # Nothing here for this service: no handler would run, and reading the position
            # and moving it past these was a transaction a batch.
            return BatchOutcome(Work(self.app), None, [], applied=len(decoded))
        name = f"{tp.topic}:{tp.partition}"
        superseded = False
        if sub.position is Position.SEQUENCE and records:
            # `records` are one run of one producer incarnation (handle_batch splits them)
            name, superseded, last = self._incarnation(tp, _incarnation_of(records[0]))
        else:
            last = self.app.position(name)
        start = last
        fresh: list[tuple[ConsumerRecord[bytes, bytes], Delivery[Any]]] = []
        for record, envelope, message in decoded:
            pos = envelope.sequence if sub.position is Position.SEQUENCE else record.offset  # type: ignore[union-attr]
            assert pos is not None
            if last is not None and pos <= last:
                continue  # already applied: redelivered or republished
            if superseded:
                raise Unplaceable(
                    f"{tp.topic}/{tp.partition}@{record.offset}: sequence {pos} of incarnation "
                    f"{envelope.incarnation if envelope else None}, which a later incarnation "
                    "of its producer has replaced, and not seen before (is an old copy of the "
                    "producer still running against a store that was restored?)"
                )
            last = pos
            fresh.append(
                (record, Delivery(message, envelope, tp.topic, tp.partition, record.offset))
            )

        # Run the handlers; a failing message is set aside and the batch re-run without it,
        # so none of its partial changes reach the store.
        ids: set[UUID] = set()
        if sub.prefetch is not None:
            for _, d in fresh:
                if sub.taken(d.message):
                    with contextlib.suppress(Exception):  # the handler meets it and says why
                        ids.update(sub.prefetch(d))
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
    def _decoded(
        sub: Subscription, records: Sequence[ConsumerRecord[bytes, bytes]]
    ) -> tuple[list[DeadLetter], list[tuple[ConsumerRecord[bytes, bytes], Envelope | None, Any]]]:
        """The batch's records read: those to dead-letter and why, and the rest decoded."""
        dead: list[DeadLetter] = []
        decoded: list[tuple[ConsumerRecord[bytes, bytes], Envelope | None, Any]] = []
        limit = sub.max_bytes
        for record in records:
            size = record_size(record.key, record.value, record.headers)
            if size > limit:
                dead.append(
                    DeadLetter(
                        record,
                        f"TooLarge: {size} bytes, over the topic's limit of {limit}",
                        keep_value=False,
                    )
                )
                continue
            try:
                envelope, message = sub.decoder(record.headers, record.value)
                if sub.position is Position.SEQUENCE and (
                    envelope is None or envelope.sequence is None
                ):
                    raise EnvelopeError("header ce_sequence: missing")
            except TRANSIENT:
                raise  # not the record's fault (e.g. the identity provider is away): retry
            except Exception as e:  # whatever the bytes made the decoder raise
                dead.append(DeadLetter(record, f"{type(e).__name__}: {e}"))
                continue
            decoded.append((record, envelope, message))
        return dead, decoded

    def _incarnation(self, tp: TopicPartition, epoch: int | None) -> tuple[str, bool, int | None]:
        """Where this partition's positions for `epoch` are tracked, whether a later
        incarnation of the producer has been seen here (then only republishes are expected),
        and the position there. A new, later epoch is noted first (its own row: the latest
        epoch seen)."""
        base = f"{tp.topic}:{tp.partition}"
        name = base if epoch is None else f"{base}@{epoch}"
        positions = self.app.positions(f"{base}#epoch", name)
        seen = positions[f"{base}#epoch"] or 0
        if epoch is not None and epoch > seen:
            with contextlib.suppress(IntegrityError):  # another member noted it first
                self.app.recorder.insert_tracking(Tracking(f"{base}#epoch", epoch))
                # a later epoch than one seen here: its producer's store was restored
                (log.warning if seen else log.info)(
                    "producer incarnation", topic=tp.topic, partition=tp.partition, epoch=epoch
                )
            seen = epoch
        return name, (epoch or 0) < seen, positions[name]

    def _handle(
        self,
        sub: Subscription,
        record: ConsumerRecord[bytes, bytes],
        delivery: Delivery[Any],
        work: Work,
        answered: list[DeadLetter],
    ) -> None:
        with bound(case_id=delivery.case_id, correlation_id=delivery.correlation_id):
            work.dead_letter_reason = None
            work.touched.clear()
            work.acting_for = {}
            try:
                sub.handle(delivery, work)
            except TRANSIENT:
                raise
            except Exception as e:
                raise _Failed((record, delivery), f"{type(e).__name__}: {e}") from e
            work.give_touched(
                {
                    causation.ATTRIBUTE: delivery.cause,
                    causation.CORRELATION: delivery.correlation_id
                    or delivery.case_id
                    or f"{delivery.topic}/{delivery.partition}@{delivery.offset}",
                }
            )
            if work.dead_letter_reason is not None:
                answered.append(DeadLetter(record, work.dead_letter_reason))

    def _apply(
        self, tp: TopicPartition, records: Sequence[ConsumerRecord[bytes, bytes]]
    ) -> tuple[BatchOutcome, bool]:
        """The batch processed, and committed at once (in the same worker thread) when it has
        nothing to dead-letter; and whether it was."""
        outcome = self.process(tp, records)
        if outcome.dead:
            return outcome, False
        self.commit(outcome)
        return outcome, True

    def commit(self, outcome: BatchOutcome) -> None:
        if outcome.tracking is not None or outcome.work.aggregates:
            self.app.record(outcome.tracking, outcome.work.aggregates)

    # --- the asynchronous loop ---

    async def dead_letter(self, dead: Sequence[DeadLetter]) -> None:
        pending = []
        for d in dead:
            r = d.record
            headers = dead_letter_headers(r, d.reason, self.group_id, d.keep_value)
            pending.append(
                await self.dlq_producer.send(
                    r.topic + DLQ_SUFFIX,
                    value=r.value if d.keep_value else None,
                    key=r.key if d.keep_value or len(r.key or b"") <= _OVERSIZE_HEADERS else None,
                    headers=headers,
                )
            )
            metrics.DEAD_LETTERS.labels(self.group_id, r.topic).inc()
        if pending:
            await asyncio.gather(*pending)

    async def handle_batch(
        self,
        tp: TopicPartition,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        stop: asyncio.Event | None = None,
    ) -> bool:
        """Apply one partition's batch; False if the service stopped before it could."""
        stop = stop or asyncio.Event()
        runs = _incarnation_runs(records) if records else []
        backoff = Backoff()
        while not stop.is_set():
            try:
                while runs:
                    outcome, committed = await asyncio.to_thread(self._apply, tp, runs[0])
                    if not committed:
                        # Dead letters are written before the position moves past them: never
                        # lost.
                        await self.dead_letter(outcome.dead)
                        await asyncio.to_thread(self.commit, outcome)
                    self.applied += outcome.applied
                    runs.pop(0)
                return True
            except Exception as e:
                # Not the message's fault (those were dead-lettered above): the store or broker
                # is away, or another member of the group got there first (IntegrityError, on a
                # rebalance). Redo from the store after a pause, whatever the error.
                wait = backoff.next()
                metrics.CONSUMER_RETRIES.labels(self.group_id, type(e).__name__).inc()
                level = log.info if isinstance(e, IntegrityError) else log.warning
                if not isinstance(e, (*TRANSIENT, IntegrityError)):
                    level = log.error
                level(
                    "consumer retrying",
                    topic=tp.topic,
                    partition=tp.partition,
                    error=repr(e),
                    in_seconds=wait,
                )
                await sleep_or_stop(stop, wait)
        return False

    def declare(self, kafka: KafkaBroker, stop: asyncio.Event) -> None:
        """This consumer group as a FastStream subscriber on `kafka` (its batches applied
        until `stop`)."""

        async def on_batch(records: messaging.Records, message: KafkaMessage) -> None:
            for tp, batch in by_partition(records).items():
                if not await self.handle_batch(tp, batch, stop):
                    return  # stopping: nothing acknowledged, the offsets stay where they were
                consumer = message.consumer  # FastStream's message names its aiokafka consumer
                end = consumer.highwater(tp) if isinstance(consumer, AIOKafkaConsumer) else None
                if end is not None:
                    lag = max(0, end - batch[-1].offset - 1)
                    metrics.CONSUMER_LAG.labels(self.group_id, tp.topic, tp.partition).set(lag)
            try:
                await message.ack()  # the offsets after this batch: a hint, tracking decides
            except CommitFailedError as e:  # rebalanced away; tracking dedupes
                log.info("offset commit skipped", group=self.group_id, error=str(e))

        messaging.subscribe(
            kafka,
            list(self.subscriptions),
            group_id=self.group_id,
            on_batch=on_batch,
            max_records=self.max_records,
            session_timeout_ms=self.session_timeout_ms,
            service=self.service,
        )

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        kafka = messaging.broker(self.bootstrap, self.group_id, self.security)
        self.declare(kafka, stop)
        await kafka.start()
        try:
            self.started.set()
            if ready is not None:
                ready.set()
            await stop.wait()
        finally:
            await kafka.stop()


class Unplaceable(Exception):
    """A sequence the consumer cannot place: it stops the partition (retrying, logged as an
    error) rather than guess whether applying it would double or lose something."""


def _incarnation_of(record: ConsumerRecord[bytes, bytes]) -> int | None:
    """The record's `ce_incarnation`, as far as grouping goes (the decoder validates it)."""
    for key, value in record.headers or ():
        if key == "ce_incarnation":
            text = (value or b"").decode(errors="replace")
            return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
    return None


def _incarnation_runs(
    records: Sequence[ConsumerRecord[bytes, bytes]],
) -> list[list[ConsumerRecord[bytes, bytes]]]:
    """Consecutive records of one producer incarnation: each run is tracked on its own."""
    runs: list[list[ConsumerRecord[bytes, bytes]]] = []
    for r in records:
        if runs and _incarnation_of(runs[-1][-1]) == _incarnation_of(r):
            runs[-1].append(r)
        else:
            runs.append([r])
    return runs


def by_partition(
    records: Iterable[ConsumerRecord[bytes, bytes]],
) -> dict[TopicPartition, list[Any]]:
    """A FastStream batch spans partitions: each partition's records, in order."""
    found: dict[TopicPartition, list[Any]] = {}
    for r in records:
        found.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
    return found


class _Failed(Exception):
    def __init__(
        self, item: tuple[ConsumerRecord[bytes, bytes], Delivery[Any]], reason: str
    ) -> None:
        self.item = item
        self.reason = reason
