"""Histories of long-lived aggregates kept decoded in memory between units of work.

A panel's meeting gathers an event for every case listed on it, every attendee and every
decision, and each listing or decision loads it again: reading and decoding its whole
history each time made a listing's cost grow with the meeting (most of the panel's time
under bench.e2e went on unsealing and decoding meetings' events). For the aggregate classes
a service names, the decoded events are kept, and a load reads only those recorded since.

What is kept is what the store says, never state a unit of work changed: the events are
immutable, and each load folds a new aggregate from them. A kept history is trusted only
while the store still holds its last event as it was (the same version and time): after a
restore from a backup the store may hold less, or other events in its place, and the
history is then read whole again.

Only aggregates none of whose events hold personal data may be kept (checked when the
service starts): a kept event would outlive an erasure, which destroys the key the store's
copy is sealed under.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore

from maag.runtime.messaging.classification import events_of
from maag.runtime.store.shredding import withheld_of

# How many aggregates' histories a process keeps (the least recently loaded go first): a
# county's meetings in a month or two.
KEPT_AGGREGATES = 256


class HoldsPersonalData(TypeError):
    """An aggregate named to be kept whose events hold personal data."""


class KeptHistories:
    def __init__(self, events: EventStore[UUID], kinds: tuple[type[Aggregate], ...]) -> None:
        for kind in kinds:
            holding = sorted(c.__qualname__ for c in events_of(kind) if withheld_of(c))
            if holding:
                raise HoldsPersonalData(
                    f"{kind.__qualname__}'s histories cannot be kept in memory: "
                    f"{', '.join(holding)} hold personal data, which an erasure must reach"
                )
        self.events = events
        self.kinds = kinds
        self._kept: OrderedDict[UUID, tuple[Any, ...]] = OrderedDict()
        self._lock = threading.Lock()  # units of work load in several threads

    def history(self, aggregate_id: UUID) -> list[Any]:
        """The aggregate's events as the store holds them now (none if it has none)."""
        kept = self.last_kept(aggregate_id)
        if kept is None:
            return list(self.events.get(aggregate_id))
        since = list(self.events.get(aggregate_id, gt=kept[-1].originator_version - 1))
        whole = self.joined(aggregate_id, kept, since)
        return whole if whole is not None else list(self.events.get(aggregate_id))

    def last_kept(self, aggregate_id: UUID) -> tuple[Any, ...] | None:
        """What is kept of the aggregate (its history to a point), if anything: the store is
        read on from its last event (`since`)."""
        with self._lock:
            kept = self._kept.get(aggregate_id)
            if kept is not None:
                self._kept.move_to_end(aggregate_id)
            return kept

    def joined(
        self, aggregate_id: UUID, kept: tuple[Any, ...], since: list[Any]
    ) -> list[Any] | None:
        """`kept` and what the store holds from its last event on (`since`), or None (and
        forgotten) when the store no longer holds that event as it was: read it whole."""
        last = kept[-1]
        if not since or (since[0].originator_version, since[0].timestamp) != (
            last.originator_version,
            last.timestamp,
        ):
            self.forget(aggregate_id)
            return None
        return [*kept, *since[1:]]

    def keep(self, aggregate: object, history: list[Any]) -> None:
        """Keep `history` (what `history` returned) if `aggregate`, folded from it, is of a
        kind kept."""
        if not history or not isinstance(aggregate, self.kinds):
            return
        with self._lock:
            self._kept[history[0].originator_id] = tuple(history)
            self._kept.move_to_end(history[0].originator_id)
            while len(self._kept) > KEPT_AGGREGATES:
                self._kept.popitem(last=False)

    def forget(self, aggregate_id: UUID) -> None:
        with self._lock:
            self._kept.pop(aggregate_id, None)
