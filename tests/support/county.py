"""The four services in one process, each built as `maag serve` builds it (its own SQLite
store and read model), joined by a synchronous in-memory bus: a unit-test harness only.

`County.settle()` does what the relays and the consumers do, without Kafka: it reads each
service's newly stored events (a cursor per service), makes their publications with the
service's own relay (`OutboxRelay.pending`: its classes, its translator, the CloudEvents
envelope with `ce_sequence`, and any audience's `told` copy on its own topic), and hands
each record to every service subscribed to its topic through that service's own
`TrackedConsumer.process` (decoding, the store-tracked position, the subscription's policy
in a unit of work whose touched aggregates are given the delivery's causation and actor),
then commits it (`TrackedConsumer.commit`): one record, one unit of work. It loops until
nothing new is stored.

Redelivery: the consumer's dedup is the position it tracks in its own store (not Kafka's
offsets), so the same record given again goes through the same `process` and must change
nothing; `settle` redelivers a random subset of what it delivered and checks that no
consumer's store moved. A record of a type the subscription has no policy for is not
delivered at all (`on_events` passes over it, recording only its position, which the next
delivery on the topic moves past just the same): the meetings the panel schedules every
week would otherwise be most of the work.

Time: `County.now` is the clock. Every stored event's timestamp (`eventsourcing`'s
`datetime_now_with_tzinfo`, patched while the county is open), the commissioning
application's `today()`, and the panel's hourly loops (`schedule_ahead`, `carry_undecided`,
called by `advance` at least every 13 days of county time, within the two weeks the
carry-over looks back, as the hourly loop would have run) all read it. What it does not do: Kafka partitions and consumer groups, the dead-letter
topics (a dead letter here is collected in `County.dead` for the test to look at), the
outbox's leader lock and incarnations, the projections' background loops (`project()`
catches the read models up on demand), the chain, the anchorer and email sending."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from maag.runtime.messaging.consumer import Subscription
from services.panel.adapters.read_model import Agendas
from services.panel.application.commands.carry_undecided import carry_undecided
from services.panel.application.commands.schedule_ahead import schedule_ahead
from services.panel.domain.schedule import LOCAL
from tests.support.built import build_all

# The order the services' outboxes are read in each round (any order would do: each
# consumer tracks its own position per topic).
ORDER = ("referral", "panel", "commissioning", "notifications")
# The longest the panel's hourly loop is left unrun while the clock moves on: its carry-over
# looks back two weeks (`carry_undecided.LOOK_BACK`, to a day before the run), so every 13
# days keeps every meeting in reach.
LOOP_EVERY = timedelta(days=13)


@dataclass(frozen=True)
class Dead:
    """A record a consumer dead-lettered: the service, the topic and why."""

    service: str
    topic: str
    reason: str


@dataclass
class County:
    services: dict[str, Any]
    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    redeliver: float = 0.2  # the share of delivered records given a second time
    cursors: dict[str, int] = field(default_factory=dict)
    dead: list[Dead] = field(default_factory=list)
    delivered: int = 0
    redelivered: int = 0
    _offsets: dict[str, int] = field(default_factory=dict)

    # --- building ---

    @classmethod
    @contextmanager
    def opened(
        cls, folder: Callable[[str], Path], now: datetime, seed: int = 0
    ) -> Iterator[County]:
        """The county, its clock at `now` (timezone-aware), closed afterwards. Commissioning
        seeds its providers and the budgets of `now`'s financial year as it is built."""
        assert now.tzinfo is not None, "the county's clock is timezone-aware"
        box: dict[str, datetime] = {"now": now}
        with (
            mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", lambda: box["now"]),
            mock.patch(
                "services.commissioning.service.datetime",
                _Clock(lambda: box["now"]),
            ),
        ):
            services = build_all(folder)
            county = cls(services, now, random.Random(seed))
            county._box = box
            county.commissioning.today = lambda: county.today
            county.panel.now = lambda: county.now
            try:
                county.run_loops()
                county.settle()
                yield county
            finally:
                for service in services.values():
                    service.app.close()

    _box: dict[str, datetime] = field(default_factory=dict)
    looped_at: datetime = field(default=datetime.min.replace(tzinfo=UTC))  # the loop's last run

    # --- the parts ---

    @property
    def referral(self) -> Any:
        return self.services["referral"].app

    @property
    def panel(self) -> Any:
        return self.services["panel"].app

    @property
    def commissioning(self) -> Any:
        return self.services["commissioning"].app

    @property
    def notifications(self) -> Any:
        return self.services["notifications"].app

    @property
    def today(self) -> date:
        return self.now.astimezone(LOCAL).date()

    # --- the clock ---

    def set_now(self, now: datetime) -> None:
        self.now = now
        self._box["now"] = now

    def advance(self, by: timedelta) -> None:
        """Move the clock on by `by`, running the panel's hourly loop (scheduling ahead, and
        carrying undecided cases over) at least once a week of it, the bus settled after each
        run. Elapsed time, not the wall clock: added in UTC, so a span across the clocks
        going forward or back ends at the instant meant."""
        until = (self.now.astimezone(UTC) + by).astimezone(LOCAL)
        while self.now < until:
            self.set_now(min((self.now.astimezone(UTC) + LOOP_EVERY).astimezone(LOCAL), until))
            self.run_loops()
            self.settle()

    def run_loops(self) -> None:
        self.looped_at = self.now
        schedule_ahead(self.panel, self.now)
        carry_undecided(self.panel, self.now, Agendas(self.project("panel")))

    # --- the bus ---

    def settle(self, limit: int = 50) -> int:
        """Deliver every newly stored event to its subscribers until nothing new is stored;
        returns how many records were delivered."""
        total = 0
        for _ in range(limit):
            moved = 0
            for name in ORDER:
                moved += self._relay(name)
            total += moved
            if not moved:
                return total
        raise AssertionError(f"the bus did not settle in {limit} rounds")

    def _relay(self, name: str) -> int:
        service = self.services[name]
        after = self.cursors.get(name, 0)
        last: int
        last, publications = service.relay.pending(after)
        self.cursors[name] = last
        records = []
        for p in publications:
            offset = self._offsets.get(p.topic, 0)
            self._offsets[p.topic] = offset + 1
            records.append(
                ConsumerRecord(
                    topic=p.topic,
                    partition=0,
                    offset=offset,
                    timestamp=0,
                    timestamp_type=0,
                    key=p.key,
                    value=p.value,
                    checksum=None,
                    serialized_key_size=len(p.key),
                    serialized_value_size=len(p.value),
                    headers=tuple(p.headers),
                )
            )
        delivered = 0
        for record in records:
            for consumer_name in ORDER:
                consumer = self.services[consumer_name].consumer
                sub = consumer.subscriptions.get(record.topic)
                if sub is None or not _handles(sub, record):
                    continue
                self._deliver(consumer_name, consumer, record)
                delivered += 1
                if self.rng.random() < self.redeliver:
                    self._redeliver(consumer_name, consumer, record)
        self.delivered += delivered
        return len(publications) + (last - after)

    def _deliver(self, name: str, consumer: Any, record: ConsumerRecord[bytes, bytes]) -> None:
        tp = TopicPartition(record.topic, record.partition)
        outcome = consumer.process(tp, [record])
        consumer.commit(outcome)
        self.dead += [Dead(name, record.topic, d.reason) for d in outcome.dead]

    def _redeliver(self, name: str, consumer: Any, record: ConsumerRecord[bytes, bytes]) -> None:
        """The same record (same `ce_id`, same `ce_sequence`) again: nothing changes."""
        app = self.services[name].app
        before = app.recorder.max_notification_id()
        self._deliver(name, consumer, record)
        after = app.recorder.max_notification_id()
        self.redelivered += 1
        assert before == after, (
            f"{name}: a redelivered {record.topic} record stored {after - (before or 0)} more "
            "event(s): a redelivery must have no second effect"
        )

    # --- read models ---

    def project(self, name: str) -> Any:
        """The service's read model caught up with its store: its engine."""
        service = self.services[name]
        service.projector.catch_up()
        return service.projector.engine


def _handles(sub: Subscription, record: ConsumerRecord[bytes, bytes]) -> bool:
    """Whether the subscription has a policy for the record's type. One made by `on_events`
    passes over the others, recording only its position: those are not delivered here (the
    next delivery on the topic moves the position past them just the same)."""
    handled = _handled_types(sub)
    if handled is None:
        return True
    kind = dict(record.headers or ()).get("ce_type", b"").decode()
    return kind in handled


def _handled_types(sub: Subscription) -> frozenset[str] | None:
    code, cells = sub.handle.__code__, sub.handle.__closure__ or ()
    found = dict(zip(code.co_freevars, (c.cell_contents for c in cells), strict=True))
    handlers = found.get("handlers") if sub.handle.__name__ == "dispatch" else None
    return frozenset(t.TYPE for t in handlers) if isinstance(handlers, Mapping) else None


class _Clock:
    """Stands in for the `datetime` class of a module that asks it for `now()`."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def now(self, tz: Any = None) -> datetime:
        found = self._now()
        return found.astimezone(tz) if tz is not None else found
