"""Incarnations: a producer's store restored from a backup (or recreated) starts a new epoch,
so the events it makes after the restore reach consumers, which skip them as republished
ones without it; republished old events are still skipped, and an old copy of the producer
still publishing is stopped at, not guessed about."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from contracts.events.referral import ReferralReceived
from contracts.topics import REFERRAL_EVENTS
from maag.runtime.messaging.consumer import TrackedConsumer, Unplaceable, on_events
from maag.runtime.messaging.outbox import OutboxRelay
from maag.runtime.settings import Settings
from maag.runtime.store.incarnation import (
    Start,
    Tail,
    epoch_of,
    gone_back,
    incarnate,
    next_start,
    starts_of,
)
from tests.support.pipeline import (
    CLASSES,
    FakeProducer,
    IntakeApp,
    LedgerApp,
    on_received,
    translate,
)

TOPIC = REFERRAL_EVENTS.name
TP = TopicPartition(TOPIC, 0)


def test_an_event_carries_the_epoch_that_began_before_it() -> None:
    starts = [Start(1, 4), Start(2, 7)]  # the second after a restore to head 7
    assert [epoch_of(starts, s) for s in (4, 5, 7, 8)] == [None, 1, 1, 2]
    assert epoch_of([], 3) is None


def test_a_store_behind_what_it_published_has_gone_back() -> None:
    starts = [Start(1, 0)]
    assert gone_back(starts, 5, [Tail(TOPIC, 0, 1, 5)]) == []  # caught up
    assert gone_back(starts, 9, [Tail(TOPIC, 0, 1, 5)]) == []  # not yet published
    assert gone_back(starts, 3, [Tail(TOPIC, 0, 1, 5)]) == [
        f"{TOPIC}/0 has sequence 5, past the store's head 3"
    ]
    # restored to before the epoch it published under began
    assert gone_back(starts, 9, [Tail(TOPIC, 0, 2, 5)]) != []
    # the next start's epoch is above any seen, from the store's head
    assert next_start(starts, 3, [Tail(TOPIC, 0, 4, 5)]) == Start(5, 3)
    assert next_start([], 8, []) == Start(1, 8)  # the first
    assert next_start(starts, 9, [Tail(TOPIC, 0, 1, 5)]) is None


class Producer:
    """A producer service's store and relay; `published` is what reached the topic."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.published: list[ConsumerRecord[bytes, bytes]] = []
        self.open()

    def open(self) -> None:
        self.app = IntakeApp(Settings(data_dir=self.data))
        self.relay = OutboxRelay(self.app, CLASSES, translate, FakeProducer(), source="intake")
        tails = [t for t in _tails(self.published)]
        self.relay.incarnations = incarnate(self.app, tails)  # as the service does at start

    def refer(self, n: int) -> list[uuid.UUID]:
        cases = [uuid.uuid4() for _ in range(n)]
        self.app.receive([(c, f"CAF-2026-{c.int % 10**8:08d}") for c in cases])
        return cases

    def relay_all(self) -> None:
        last, pubs = self.relay.pending(self.relay.position())
        for p in pubs:
            offset = len(self.published)
            self.published.append(
                ConsumerRecord(
                    TOPIC,
                    0,
                    offset,
                    0,
                    0,
                    p.key,
                    p.value,
                    None,
                    len(p.key),
                    len(p.value),
                    p.headers,
                )
            )
        self.relay.record(last)


def _tails(records: list[ConsumerRecord[bytes, bytes]]) -> list[Tail]:
    if not records:
        return []
    h = {k: v.decode() for k, v in records[-1].headers}
    epoch = h.get("ce_incarnation")
    return [Tail(TOPIC, 0, int(epoch) if epoch else None, int(h["ce_sequence"]))]


def _consumer(settings: Settings) -> TrackedConsumer:
    return TrackedConsumer(
        LedgerApp(settings),
        [on_events(TOPIC, {ReferralReceived: on_received})],
        bootstrap="unused",
        group_id="unit",
        dlq_producer=FakeProducer(),
    )


def _applied(consumer: TrackedConsumer, cases: list[uuid.UUID]) -> list[int]:
    app: Any = consumer.app
    found = []
    for c in cases:
        try:
            found.append(len(app.notes(c)))
        except Exception:
            found.append(0)
    return found


async def test_after_a_restore_every_new_event_is_applied_once_and_nothing_twice(
    tmp_path: Path,
) -> None:
    producer = Producer(tmp_path / "store")
    before = producer.refer(3)
    producer.relay_all()
    shutil.copytree(tmp_path / "store", tmp_path / "backup")  # the backup, mid-flow
    lost = producer.refer(3)  # made and published after the backup
    producer.relay_all()
    consumer = _consumer(Settings(data_dir=tmp_path / "consumer"))
    await consumer.handle_batch(TP, producer.published)

    # the store is restored from the backup; the service starts again
    shutil.rmtree(tmp_path / "store")
    shutil.copytree(tmp_path / "backup", tmp_path / "store")
    producer.open()
    assert [s.epoch for s in starts_of(producer.app)] == [1, 2]
    after = producer.refer(3)  # their sequences are the lost ones' again
    producer.relay_all()
    await consumer.handle_batch(TP, producer.published)  # all of it, redelivered too

    assert _applied(consumer, before) == [1, 1, 1]
    assert _applied(consumer, lost) == [1, 1, 1]  # what consumers saw stays seen
    assert _applied(consumer, after) == [1, 1, 1]  # without incarnations: [0, 0, 0]


async def test_a_restart_without_a_restore_keeps_the_incarnation(tmp_path: Path) -> None:
    producer = Producer(tmp_path / "store")
    producer.refer(2)
    producer.relay_all()
    producer.open()
    producer.refer(1)
    producer.relay_all()
    assert [s.epoch for s in starts_of(producer.app)] == [1]
    headers = [dict(r.headers) for r in producer.published]
    assert {h["ce_incarnation"] for h in headers} == {b"1"}


async def test_an_old_copy_still_publishing_after_a_restore_stops_the_partition(
    tmp_path: Path,
) -> None:
    producer = Producer(tmp_path / "store")
    producer.refer(2)
    producer.relay_all()
    shutil.copytree(tmp_path / "store", tmp_path / "backup")
    producer.refer(1)
    producer.relay_all()
    zombie_app = producer.app  # the old copy keeps its store (and its epoch)
    zombie = OutboxRelay(zombie_app, CLASSES, translate, FakeProducer(), source="intake")
    zombie.incarnations = producer.relay.incarnations
    shutil.copytree(tmp_path / "store", tmp_path / "old-store")
    shutil.rmtree(tmp_path / "store")
    shutil.copytree(tmp_path / "backup", tmp_path / "store")
    producer.open()
    producer.refer(1)
    producer.relay_all()
    consumer = _consumer(Settings(data_dir=tmp_path / "consumer"))
    await consumer.handle_batch(TP, producer.published)
    # the old copy writes and publishes one more under the replaced epoch
    zombie_app.receive([(uuid.uuid4(), "CAF-2026-99999999")])
    _, pubs = zombie.pending(zombie.position() + 0)
    p = pubs[-1]
    record = ConsumerRecord(
        TOPIC, 0, len(producer.published), 0, 0, p.key, p.value, None, 0, 0, p.headers
    )
    with pytest.raises(Unplaceable, match="a later incarnation"):
        consumer.process(TP, [record])
