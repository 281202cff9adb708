"""The boards' feed, following the topics, applies what arrives within `LINGER_SECONDS` of a
batch's first record in one transaction (a transaction a record made it a fifth of the
service's processor time under load); catching up, it applies what it read at once."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition

from services.commissioning.adapters import boards

A, B = TopicPartition("maag.panel.events", 0), TopicPartition("maag.referral.events", 1)


def _record(tp: TopicPartition, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, b"k", b"v", None, 1, 1, [])


class Clock:
    """The feed's clock, moved on by the consumer's waits (none of them real)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class Trickle:
    """A consumer whose records come a few at a time, as a busy system's do."""

    def __init__(self, arrivals: list[dict[TopicPartition, list[int]]], clock: Clock) -> None:
        self.arrivals = arrivals
        self.clock = clock
        self.asked: list[int] = []

    async def getmany(self, *, timeout_ms: int, max_records: int) -> Any:
        self.asked.append(max_records)
        if not self.arrivals:
            self.clock.now += timeout_ms / 1000  # nothing more comes: the wait runs out
            return {}
        arrival, given, left = self.arrivals.pop(0), {}, max_records
        for tp in list(arrival):  # at most `max_records`, the rest kept for the next call
            offsets = arrival.pop(tp)
            given[tp], rest = offsets[:left], offsets[left:]
            left -= len(given[tp])
            if rest:
                arrival[tp] = rest
        if arrival:
            self.arrivals.insert(0, arrival)
        return {tp: [_record(tp, o) for o in offsets] for tp, offsets in given.items() if offsets}


def _clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(boards, "time", clock)
    return clock


ARRIVALS = [{A: [0, 1]}, {B: [7]}, {A: [2], B: [8, 9]}]


@pytest.mark.asyncio
async def test_following_gathers_what_comes_within_the_linger_in_each_partitions_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = Trickle([dict(a) for a in ARRIVALS], _clock(monkeypatch))
    batch = await boards._gathered(consumer, linger=True)
    assert {tp: [r.offset for r in rs] for tp, rs in batch.items()} == {A: [0, 1, 2], B: [7, 8, 9]}


@pytest.mark.asyncio
async def test_catching_up_applies_what_it_read_without_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = Trickle([dict(a) for a in ARRIVALS], _clock(monkeypatch))
    batch = await boards._gathered(consumer, linger=False)
    assert {tp: [r.offset for r in rs] for tp, rs in batch.items()} == {A: [0, 1]}
    assert len(consumer.asked) == 1


@pytest.mark.asyncio
async def test_a_batch_never_holds_more_than_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boards, "BATCH_RECORDS", 4)
    consumer = Trickle([dict(a) for a in ARRIVALS], _clock(monkeypatch))
    batch = await boards._gathered(consumer, linger=True)
    assert sum(len(rs) for rs in batch.values()) == 4
    assert consumer.asked == [4, 2, 1]
    assert [r.offset for r in batch[A]] == [0, 1, 2]
