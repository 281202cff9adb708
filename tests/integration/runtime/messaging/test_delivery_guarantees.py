"""Outbox relay -> real Kafka -> tracked consumer -> real PostgreSQL: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from contracts.topics import REFERRAL_EVENTS
from maag.runtime.messaging.broker import EventPublisher
from maag.runtime.messaging.consumer import TrackedConsumer
from maag.runtime.settings import Settings
from tests.integration.runtime.conftest import read_all
from tests.support.pipeline import POISON_CAF, IntakeApp, LedgerApp, make_consumer, make_relay
from tests.support.waiting import consumed_to_end


def _cases(n: int, caf: str = "CAF-2026-0001") -> list[tuple[uuid.UUID, str]]:
    return [(uuid.uuid4(), caf) for _ in range(n)]


async def _eventually(check: Callable[[], Awaitable[bool] | bool], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


class Running:
    """A consumer running in the background until stopped."""

    def __init__(self, consumer: TrackedConsumer) -> None:
        self.consumer = consumer
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TrackedConsumer:
        ready = asyncio.Event()
        self.task = asyncio.create_task(self.consumer.run(self.stop, ready))
        await ready.wait()
        return self.consumer

    async def __aexit__(self, *_: Any) -> None:
        self.stop.set()
        assert self.task is not None
        await self.task


def _notes(ledger: LedgerApp, cases: list[tuple[uuid.UUID, str]]) -> dict[uuid.UUID, list[str]]:
    out = {}
    for case_id, _ in cases:
        try:
            out[case_id] = ledger.notes(case_id)
        except Exception:
            out[case_id] = []
    return out


async def test_events_committed_while_the_relay_was_down_arrive_and_apply_once(
    settings: Settings, producer: AIOKafkaProducer, publisher: EventPublisher, unique: str
) -> None:
    # The relay "died" after the store commit and before any publish: nothing was sent.
    intake = IntakeApp(settings)
    cases = _cases(25)
    await asyncio.to_thread(intake.receive, cases)

    relay = make_relay(settings, publisher)  # restarted
    consumer = make_consumer(settings, producer, f"g-{unique}")
    async with Running(consumer):
        while await relay.relay_once():
            pass
        await _eventually(lambda: consumer.applied >= 25)
    notes = _notes(LedgerApp(settings), cases)
    assert all(len(n) == 1 for n in notes.values()), notes
    # caught up: the group's lag on each partition it read is 0, for Prometheus
    lags = [
        s.value
        for metric in REGISTRY.collect()
        if metric.name == "maag_consumer_lag"
        for s in metric.samples
        if s.labels["consumer"] == consumer.group_id
    ]
    assert lags and all(lag == 0 for lag in lags), lags


async def test_a_relay_killed_after_publishing_but_before_recording_republishes_and_applies_once(
    settings: Settings,
    producer: AIOKafkaProducer,
    publisher: EventPublisher,
    unique: str,
    kafka_bootstrap: str,
) -> None:
    intake = IntakeApp(settings)
    cases = _cases(10)
    await asyncio.to_thread(intake.receive, cases)

    crashed = make_relay(settings, publisher)
    after = await asyncio.to_thread(crashed.position)
    _, publications = await asyncio.to_thread(crashed.pending, after)
    await crashed.publish(publications)  # ...and the process dies before crashed.record()

    restarted = make_relay(settings, publisher)
    assert await restarted.relay_once() == 10  # resumes from the recorded position: all again
    assert await restarted.relay_once() == 0

    topic = REFERRAL_EVENTS.named(settings.topic_prefix)
    records = await read_all(kafka_bootstrap, topic, expected=20)
    assert len(records) == 20  # every event twice on the wire, same ce_id both times
    ids = [dict(r.headers)["ce_id"] for r in records]
    assert len(set(ids)) == 10

    consumer = make_consumer(settings, producer, f"g-{unique}")
    async with Running(consumer):
        await consumed_to_end(consumer, settings.kafka_bootstrap)  # the copies included
    assert consumer.applied == 10
    notes = _notes(LedgerApp(settings), cases)
    assert sorted(len(n) for n in notes.values()) == [1] * 10


async def test_the_same_message_delivered_twice_has_one_effect(
    settings: Settings, producer: AIOKafkaProducer, publisher: EventPublisher, unique: str
) -> None:
    intake = IntakeApp(settings)
    cases = _cases(5)
    await asyncio.to_thread(intake.receive, cases)
    relay = make_relay(settings, publisher)
    await relay.relay_once()

    first = make_consumer(settings, producer, f"g1-{unique}")
    async with Running(first):
        await _eventually(lambda: first.applied == 5)
    # A second group re-reads the topic from the start: every message delivered again.
    second = make_consumer(settings, producer, f"g2-{unique}")
    async with Running(second):
        await consumed_to_end(second, settings.kafka_bootstrap)
    assert second.applied == 0  # every message read again, none applied again
    notes = _notes(LedgerApp(settings), cases)
    assert all(len(n) == 1 for n in notes.values())


async def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_partition_moves_on(
    settings: Settings,
    producer: AIOKafkaProducer,
    publisher: EventPublisher,
    unique: str,
    kafka_bootstrap: str,
) -> None:
    topic = REFERRAL_EVENTS.named(settings.topic_prefix)
    intake = IntakeApp(settings)
    before, poison, after = _cases(3), _cases(1, POISON_CAF), _cases(3)
    relay = make_relay(settings, publisher)
    await asyncio.to_thread(intake.receive, before)
    await relay.relay_once()
    # Undecodable bytes and a record without an envelope, on the same partition as what follows.
    key = str(after[0][0]).encode()
    await producer.send_and_wait(topic, value=b"{not json", key=key, headers=[("ce_type", b"x")])
    await producer.send_and_wait(topic, value=b"{}", key=key)
    await asyncio.to_thread(intake.receive, poison + after)
    await relay.relay_once()

    consumer = make_consumer(settings, producer, f"g-{unique}")
    async with Running(consumer):
        await _eventually(lambda: consumer.applied == 6)

    notes = _notes(LedgerApp(settings), before + after)
    assert all(len(n) == 1 for n in notes.values())
    dead = await read_all(kafka_bootstrap, topic + ".dlq", expected=3)
    reasons = sorted(dict(r.headers)["dlq_error"].decode() for r in dead)
    assert len(dead) == 3
    assert reasons[0].startswith("EnvelopeError: header ce_")
    assert reasons[1].startswith("EnvelopeError: header ce_")
    assert reasons[2] == "Rejected: caf_reference is on the test's poison list"
    for r in dead:
        h = dict(r.headers)
        assert h["dlq_consumer"] == f"g-{unique}".encode()
        assert h["dlq_topic"] == topic.encode()
    assert {r.value for r in dead} >= {b"{not json", b"{}"}  # original bytes kept


async def test_a_consumer_stopped_mid_stream_resumes_without_loss_or_double_effect(
    settings: Settings, producer: AIOKafkaProducer, publisher: EventPublisher, unique: str
) -> None:
    intake = IntakeApp(settings)
    cases = _cases(300)
    relay = make_relay(settings, publisher)
    await asyncio.to_thread(intake.receive, cases)
    while await relay.relay_once():
        pass

    group = f"g-{unique}"
    first = make_consumer(settings, producer, group)
    first.max_records = 20  # small batches, so the stop lands mid-stream
    async with Running(first):
        await _eventually(lambda: first.applied >= 40)
    assert first.applied < 300

    second = make_consumer(settings, producer, group)
    async with Running(second):
        await consumed_to_end(second, settings.kafka_bootstrap)
    assert first.applied + second.applied == 300
    notes = _notes(LedgerApp(settings), cases)
    assert all(len(n) == 1 for n in notes.values())
