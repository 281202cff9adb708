"""Histories kept decoded between units of work (`maag.runtime.store.kept`): a load decodes
only what was recorded since, sees what any writer recorded, reads a store restored behind
what was kept whole again, and no aggregate holding personal data is ever kept."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from maag.runtime.settings import Settings
from maag.runtime.store import kept as kept_module
from maag.runtime.store.kept import HoldsPersonalData, KeptHistories
from maag.runtime.store.unit_of_work import Work
from services.panel.application.app import PanelApp
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.plan import Plan
from tests.support.pipeline import Ledger, LedgerApp


class Counted:
    """How many events the app's mapper decodes."""

    def __init__(self, app: LedgerApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        decode = app.mapper.to_domain_event

        def counting(stored: Any) -> Any:
            self.count += 1
            return decode(stored)

        monkeypatch.setattr(app.mapper, "to_domain_event", counting)

    def since(self) -> int:
        count, self.count = self.count, 0
        return count


def _ledger(app: LedgerApp, notes: int) -> Ledger:
    ledger = Ledger(case_id=uuid.uuid4())
    for i in range(notes):
        ledger.note(f"n{i}")
    app.save(ledger)
    return ledger


def _notes(app: LedgerApp, ledger_id: uuid.UUID) -> list[str]:
    return Work(app).get_as(ledger_id, Ledger, "ledger").notes


@pytest.fixture
def app(tmp_path: Path) -> LedgerApp:
    made = LedgerApp(Settings(data_dir=tmp_path))
    made.kept = KeptHistories(made.events, (Ledger,))
    return made


def test_a_kept_history_is_read_on_from_its_last_event(
    app: LedgerApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = _ledger(app, 40)
    decoded = Counted(app, monkeypatch)
    assert _notes(app, ledger.id) == [f"n{i}" for i in range(40)]
    assert decoded.since() == 41  # read whole once
    assert _notes(app, ledger.id) == [f"n{i}" for i in range(40)]
    assert decoded.since() == 1  # the last event kept, to check it is still there

    more = Work(app).get_as(ledger.id, Ledger, "ledger")
    more.note("late")
    app.save(more)
    decoded.since()
    assert _notes(app, ledger.id)[-2:] == ["n39", "late"]
    assert decoded.since() == 2


def test_what_another_replica_recorded_is_read(app: LedgerApp, tmp_path: Path) -> None:
    ledger = _ledger(app, 3)
    assert _notes(app, ledger.id) == ["n0", "n1", "n2"]
    replica = LedgerApp(Settings(data_dir=tmp_path))  # the same store, another process
    theirs = Work(replica).get_as(ledger.id, Ledger, "ledger")
    theirs.note("theirs")
    replica.save(theirs)
    assert _notes(app, ledger.id) == ["n0", "n1", "n2", "theirs"]


def _restored_to(app: LedgerApp, ledger: Ledger, version: int) -> None:
    """The store as a backup taken at `version` left it."""
    recorder: Any = app.recorder
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(
            f"DELETE FROM {recorder.events_table_name} "
            "WHERE originator_id = ? AND originator_version > ?",
            (ledger.id.hex, version),
        )


def test_a_store_restored_behind_what_was_kept_is_read_whole(app: LedgerApp) -> None:
    ledger = _ledger(app, 5)
    assert len(_notes(app, ledger.id)) == 5  # kept to version 6
    _restored_to(app, ledger, 3)
    assert _notes(app, ledger.id) == ["n0", "n1"]


def test_a_store_restored_and_written_again_is_read_whole(app: LedgerApp, tmp_path: Path) -> None:
    """Its version 6, the last one kept, is now another event."""
    ledger = _ledger(app, 5)
    assert len(_notes(app, ledger.id)) == 5
    _restored_to(app, ledger, 3)
    replica = LedgerApp(Settings(data_dir=tmp_path))
    written = Work(replica).get_as(ledger.id, Ledger, "ledger")
    for text in ("x", "y", "z"):
        written.note(text)
    replica.save(written)
    assert _notes(app, ledger.id) == ["n0", "n1", "x", "y", "z"]


def test_the_least_recently_loaded_go_first(
    app: LedgerApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept_module, "KEPT_AGGREGATES", 2)
    first, second, third = (_ledger(app, 10) for _ in range(3))
    decoded = Counted(app, monkeypatch)
    for ledger in (first, second, first, third):  # `second` is the least recently loaded
        _notes(app, ledger.id)
    decoded.since()
    _notes(app, first.id)
    _notes(app, third.id)
    assert decoded.since() == 2
    _notes(app, second.id)
    assert decoded.since() == 11


@pytest.mark.parametrize("kind", [PanelCase, Plan])
def test_an_aggregate_whose_events_hold_personal_data_is_never_kept(
    app: LedgerApp, kind: type[Any]
) -> None:
    with pytest.raises(HoldsPersonalData, match="personal data"):
        KeptHistories(app.events, (kind,))


def test_the_panel_keeps_its_meetings(tmp_path: Path) -> None:
    """Every listing and decision loads its meeting; none of a meeting's events holds
    personal data (else the panel would not start: `HoldsPersonalData`)."""
    panel = PanelApp(Settings(data_dir=tmp_path))
    assert panel.kept is not None and panel.kept.kinds == (Meeting,)


def test_a_batchs_histories_read_a_kept_one_on_from_its_last_event(
    app: LedgerApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consumer reads its batch's aggregates at once (`histories`): a kept one as a unit of
    work would load it, and what the batch folds is kept."""
    kept, other = _ledger(app, 30), _ledger(app, 2)
    decoded = Counted(app, monkeypatch)
    batch = app.histories([kept.id, other.id])
    assert decoded.since() == 31 + 3
    Work(app, [kept.id, other.id], batch).get_as(kept.id, Ledger, "ledger")  # folded: kept
    again = app.histories([kept.id, other.id])
    assert decoded.since() == 1 + 3
    assert [e.originator_version for e in again[kept.id]] == list(range(1, 32))
    assert Work(app, [kept.id], again).get_as(kept.id, Ledger, "ledger").notes[-1] == "n29"
