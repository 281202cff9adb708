"""A case's replay keeps described the aggregates whose events have nothing sealed (its
reads, most of a busy case's history), each for its own case, and reads one from the store
again only when its version moved; an aggregate with anything sealed is read and described
afresh each time, since an erasure changes what it reads as."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, event

from maag.runtime.evidence import case_history
from maag.runtime.evidence.case_history import CaseHistory
from maag.runtime.evidence.reads import CaseRead
from services.referral.audit import AUDIT as REFERRAL
from tests.unit.runtime.evidence.test_timeline import received

ACTOR = {"user_id": "auditor-1", "role": "auditor", "agency": "county"}


class Store:
    """A service's store as far as a replay reads it: histories, and versions; what it was
    asked for is noted."""

    def __init__(self, events: list[Any]) -> None:
        self.by_aggregate: dict[uuid.UUID, list[Any]] = {}
        for e in events:
            self.by_aggregate.setdefault(e.originator_id, []).append(e)
        self.loaded: list[set[uuid.UUID]] = []
        self.checked: list[set[uuid.UUID]] = []

    def histories(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
        self.loaded.append(set(ids))
        return {a: list(self.by_aggregate[a]) for a in ids if a in self.by_aggregate}

    def versions(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
        self.checked.append(set(ids))
        return {a: self.by_aggregate[a][-1].originator_version for a in ids}


class Replayed(CaseHistory):
    """The service's history over `Store`, every aggregate of it the case's."""

    def __init__(self, store: Store) -> None:
        super().__init__("referral", app=store, chain=None, audit=REFERRAL)  # type: ignore[arg-type]
        self.store = store

    def _case_aggregates(self, case_id: uuid.UUID) -> set[uuid.UUID]:
        return set(self.store.by_aggregate)


def _read(case_id: uuid.UUID) -> Any:
    read = CaseRead(case_id, ACTOR, "GET /x", "2026-12-06T10:00:00+00:00", False)
    (event,) = read.collect_events()
    return event


def test_reads_are_read_and_described_once_and_the_sealed_referral_every_time() -> None:
    case_id = uuid.uuid4()
    referral = received(case_id)
    (sealed,) = referral.collect_events()
    reads = [_read(case_id), _read(case_id)]
    store = Store([sealed, *reads])
    history = Replayed(store)
    first = history.entries(case_id)
    again = history.entries(case_id)
    assert store.loaded[0] == {sealed.originator_id, *(r.originator_id for r in reads)}
    assert store.loaded[1] == {sealed.originator_id}  # the reads are kept, and current
    assert [(e.event, e.version) for e in again] == [(e.event, e.version) for e in first]
    kept = [e for e in again if e.event == "CaseRead.Recorded"]
    assert len(kept) == 2 and all(any(k is f for f in first) for k in kept)


class Tally(Aggregate):
    """An aggregate of a case with nothing sealed that can change (a read cannot)."""

    class Started(Aggregate.Created):
        case_id: uuid.UUID

    @event(Started)
    def __init__(self, case_id: uuid.UUID) -> None:
        self.case_id = case_id

    @event("Counted")
    def count(self) -> None:
        pass


def test_an_aggregate_whose_version_moved_is_read_again() -> None:
    case_id = uuid.uuid4()
    tally = Tally(case_id)
    store = Store(list(tally.collect_events()))
    history = Replayed(store)
    assert len(history.entries(case_id)) == 1
    tally.count()
    store.by_aggregate[tally.id] += tally.collect_events()
    assert [e.version for e in history.entries(case_id)] == [1, 2]


def test_a_read_kept_is_not_asked_for_again() -> None:
    """A read is made and never changed: kept, it is neither read nor its version asked
    for again (a busy case has thousands); what can change is."""
    case_id = uuid.uuid4()
    tally = Tally(case_id)
    reads = [_read(case_id) for _ in range(3)]
    store = Store([*tally.collect_events(), *reads])
    history = Replayed(store)
    history.entries(case_id)
    assert len(history.entries(case_id)) == 4
    assert store.checked == [{tally.id}]
    assert store.loaded[1:] == []  # the tally's version had not moved


def test_an_aggregate_two_cases_share_is_each_case_s_own_entry() -> None:
    one, other = uuid.uuid4(), uuid.uuid4()
    history = Replayed(Store([_read(one)]))  # as a followed meeting's event names each case
    assert history.entries(one)[0].case_id == str(one)
    assert history.entries(other)[0].case_id == str(other)


def test_what_is_kept_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_history, "ENTRIES_KEPT", 2)
    case_id = uuid.uuid4()
    store = Store([_read(case_id) for _ in range(3)])
    history = Replayed(store)
    assert len(history.entries(case_id)) == 3
    assert history._size == 2 and len(history._kept) == 2
    # replayed again with one more read (the auditor's own): what is let go to keep the new
    # one is read again, and the replay still answers whole
    newest = _read(case_id)
    store.by_aggregate[newest.originator_id] = [newest]
    assert len(history.entries(case_id)) == 4
    assert history._size == 2
