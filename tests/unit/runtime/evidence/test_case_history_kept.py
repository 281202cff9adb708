"""A case's replay keeps the entries of events with nothing sealed (reads, most of a busy
case's history), each for its own case, and describes afresh every event with anything
sealed, whose entry an erasure changes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from maag.runtime.evidence import case_history, timeline
from maag.runtime.evidence.case_history import CaseHistory
from maag.runtime.evidence.reads import CaseRead
from maag.runtime.evidence.timeline import Entry
from services.referral.audit import AUDIT as REFERRAL
from tests.unit.runtime.evidence.test_timeline import received

ACTOR = {"user_id": "auditor-1", "role": "auditor", "agency": "county"}


class Stored(CaseHistory):
    """The service's history with its store read as the events given."""

    def __init__(self, events: list[Any]) -> None:
        super().__init__("referral", app=None, chain=None, audit=REFERRAL)  # type: ignore[arg-type]
        self.stored = events

    def events(self, case_id: uuid.UUID) -> list[Any]:
        return self.stored


def _read(case_id: uuid.UUID) -> Any:
    (event,) = CaseRead(
        case_id, ACTOR, "GET /x", "2026-12-06T10:00:00+00:00", False
    ).collect_events()
    return event


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    described: list[str] = []
    real = timeline.describe

    def counting(service: str, case_id: uuid.UUID, event: Any, *args: Any, **kw: Any) -> Entry:
        described.append(type(event).__qualname__)
        return real(service, case_id, event, *args, **kw)

    monkeypatch.setattr(case_history, "describe", counting)
    return described


def test_a_read_is_described_once_and_an_event_with_anything_sealed_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = uuid.uuid4()
    (sealed,) = received(case_id).collect_events()
    history = Stored([sealed, _read(case_id), _read(case_id)])
    described = _counted(monkeypatch)
    first = history.entries(case_id)
    again = history.entries(case_id)
    assert sorted(described) == sorted(
        ["Referral.Received", "CaseRead.Recorded", "CaseRead.Recorded", "Referral.Received"]
    )
    assert [e.event for e in again] == [e.event for e in first]
    reads = [(a, b) for a, b in zip(first, again, strict=True) if a.event == "CaseRead.Recorded"]
    assert len(reads) == 2 and all(a is b for a, b in reads)  # kept, not made again


def test_an_event_two_cases_share_is_each_case_s_own_entry() -> None:
    one, other = uuid.uuid4(), uuid.uuid4()
    shared = _read(one)  # as a followed meeting's event is an entry of each case it names
    history = Stored([shared])
    assert history.entries(one)[0].case_id == str(one)
    assert history.entries(other)[0].case_id == str(other)


def test_what_is_kept_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_history, "ENTRIES_KEPT", 2)
    case_id = uuid.uuid4()
    history = Stored([_read(case_id) for _ in range(3)])
    history.entries(case_id)
    assert len(history._kept) == 2
