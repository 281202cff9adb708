"""Incarnations: a producer's store that goes back in time is told apart from a republish.

Consumers skip an event whose `ce_sequence` (the producer's notification id) is at or before
the position they recorded: that is how a republished event has no second effect. A store
restored from a backup, or recreated, hands out notification ids again that consumers have
already recorded, and its new events would be skipped as republished ones.

So every published event also carries its producer's incarnation (`ce_incarnation`, an
epoch), and consumers track positions per incarnation. An incarnation is an event in the
producer's own store (so a restore brings back the incarnation it had): it begins after the
store's head at the time (`since`), and events after that are tagged with its epoch.

When a service starts, before it takes a write, it compares its store with the last record it
published on each partition of its topics. If a published sequence is past the store's head,
or the store would tag it with another epoch, the store has gone back: a new incarnation
begins, with an epoch above any seen. Events up to the store's head keep their old tag (they
are the same events, so consumers still skip them); the new ones are new to every consumer.
Events published before incarnations existed carry none, and are tracked as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from contracts.classification import OPERATIONAL
from maag.runtime.logging import get_logger
from maag.runtime.messaging import kafka
from maag.runtime.store.application import ServiceApplication

log = get_logger(__name__)

NAMESPACE = UUID("a7f0c1de-5f0b-4c3e-8d2e-6b1f9c0e4a11")
INCARNATIONS_ID = uuid5(NAMESPACE, "incarnations")
TAIL_RECORDS = 20  # read from the end of each partition to find the producer's last record


@dataclass(frozen=True)
class Start:
    epoch: int
    since: int  # events after this notification id carry `epoch`


@dataclass(frozen=True)
class Tail:
    """The last record a producer published on one partition."""

    topic: str
    partition: int
    epoch: int | None
    sequence: int


class Incarnations(Aggregate):
    class Begun(Aggregate.Event):
        epoch: Annotated[int, OPERATIONAL]
        since: Annotated[int, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]

    @event("Created")
    def __init__(self) -> None:
        self.starts: list[Start] = []

    @event(Begun)
    def begin(self, epoch: int, since: int, reason: str) -> None:
        self.starts.append(Start(epoch, since))

    @staticmethod
    def create_id() -> UUID:
        return INCARNATIONS_ID


def epoch_of(starts: Sequence[Start], sequence: int) -> int | None:
    """The epoch a store tags the event at `sequence` with (None: before incarnations)."""
    found: int | None = None
    for s in starts:
        if s.since < sequence:
            found = s.epoch
    return found


def gone_back(starts: Sequence[Start], head: int, tails: Iterable[Tail]) -> list[str]:
    """Why the store has gone back in time, for each published record it no longer agrees
    with (none: it has not)."""
    reasons = []
    for t in tails:
        where = f"{t.topic}/{t.partition}"
        if t.sequence > head:
            reasons.append(f"{where} has sequence {t.sequence}, past the store's head {head}")
        elif epoch_of(starts, t.sequence) != t.epoch:
            reasons.append(
                f"{where} has sequence {t.sequence} of incarnation {t.epoch}; the store "
                f"says {epoch_of(starts, t.sequence)}"
            )
    return reasons


def next_start(starts: Sequence[Start], head: int, tails: Sequence[Tail]) -> Start | None:
    """The incarnation to begin now (the first, or after the store went back), or None."""
    if starts and not gone_back(starts, head, tails):
        return None
    top = max([0, *(s.epoch for s in starts), *(t.epoch or 0 for t in tails)])
    return Start(top + 1, head)


def starts_of(app: ServiceApplication) -> list[Start]:
    try:
        found: Any = app.repository.get(INCARNATIONS_ID)
    except AggregateNotFoundError:
        return []
    assert isinstance(found, Incarnations)
    return list(found.starts)


def incarnate(app: ServiceApplication, tails: Sequence[Tail]) -> list[Start]:
    """Begin a new incarnation if the store needs one; the store's incarnations after."""
    for _ in range(3):  # replicas starting together: one records it, the rest find it
        starts = starts_of(app)
        head = app.recorder.max_notification_id() or 0
        start = next_start(starts, head, tails)
        if start is None:
            return starts
        reasons = gone_back(starts, head, tails) if starts else []
        try:
            found: Any = app.repository.get(INCARNATIONS_ID) if starts else Incarnations()
            reason = "; ".join(reasons) if reasons else "the first"
            found.begin(start.epoch, start.since, reason[:2000])
            app.save(found)
        except IntegrityError:
            continue
        (log.error if reasons else log.info)(
            "a new incarnation of the store begins"
            + (": it has gone back in time (restored or recreated)" if reasons else ""),
            service=app.name,
            epoch=start.epoch,
            since=start.since,
            reasons=reasons,
        )
        return [*starts, start]
    return starts_of(app)


async def read_tails(
    bootstrap: str, topics: Sequence[str], source: str, **options: Any
) -> list[Tail]:
    """The last record `source` published on each partition of `topics` (none for a topic
    that does not exist yet or holds nothing of its)."""
    last: dict[tuple[str, int], Tail] = {}
    for r in await kafka.read_to_end(bootstrap, topics, options, last_records=TAIL_RECORDS):
        tail = _tail(r, source)
        if tail is not None:
            last[(r.topic, r.partition)] = tail
    return list(last.values())


def _tail(record: Any, source: str) -> Tail | None:
    headers = {k: (v or b"").decode(errors="replace") for k, v in record.headers or ()}
    if headers.get("ce_source") != source or not headers.get("ce_sequence", "").isdigit():
        return None
    epoch = headers.get("ce_incarnation")
    return Tail(
        record.topic,
        record.partition,
        int(epoch) if epoch and epoch.isdigit() else None,
        int(headers["ce_sequence"]),
    )
