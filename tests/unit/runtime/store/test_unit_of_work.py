"""A unit of work folds aggregates from their events itself (`fold`): the same aggregate as
eventsourcing's `project_aggregate`, without its per-event Protocol check."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.application import project_aggregate

from maag.runtime.settings import Settings
from maag.runtime.store import unit_of_work
from maag.runtime.store.unit_of_work import Work, fold
from tests.support.pipeline import Ledger, LedgerApp


def test_fold_makes_what_eventsourcing_makes(tmp_path: Path) -> None:
    """Notices if eventsourcing's own fold ever does more than mutate event by event."""
    app = LedgerApp(Settings(data_dir=tmp_path))
    ledger = Ledger(case_id=uuid.uuid4())
    for text in ("a", "b", "c"):
        ledger.note(text)
    app.save(ledger)
    events = list(app.events.get(ledger.id))
    ours, theirs = fold(None, events), project_aggregate(None, events)
    assert isinstance(ours, Ledger) and isinstance(theirs, Ledger)
    assert (ours.id, ours.version, ours.notes) == (theirs.id, theirs.version, theirs.notes)
    assert ours.notes == ["a", "b", "c"] and ours.version == 4


def test_a_unit_of_work_loads_through_fold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    ledger = Ledger(case_id=uuid.uuid4())
    ledger.note("a")
    app.save(ledger)
    folded: list[int] = []

    def counting(aggregate: Any, events: Any) -> Any:
        events = list(events)
        folded.append(len(events))
        return fold(aggregate, events)

    monkeypatch.setattr(unit_of_work, "fold", counting)
    found = Work(app).get_as(ledger.id, Ledger, "ledger")
    assert found.notes == ["a"] and folded == [2]
