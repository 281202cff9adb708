"""Group commit: concurrent callers' events all land; a conflicting caller alone gets the error."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError

from maag.runtime.settings import Settings
from maag.runtime.store.group_commit import GroupCommit
from tests.support.pipeline import Ledger, LedgerApp


def test_many_threads_save_through_few_transactions_and_all_land(tmp_path: Path) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    writer = GroupCommit(app)
    ids = [uuid.uuid4() for _ in range(60)]

    def save(case_id: uuid.UUID) -> None:
        ledger = Ledger(case_id=case_id)
        ledger.note("e1")
        writer.save(ledger)

    threads = [threading.Thread(target=save, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(app.notes(i) == ["e1"] for i in ids)
    writer.close()


def test_a_conflicting_caller_gets_its_own_error_and_the_others_still_land(tmp_path: Path) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    writer = GroupCommit(app)
    taken = uuid.uuid4()
    writer.save(Ledger(case_id=taken))
    results: dict[str, BaseException | None] = {}
    barrier = threading.Barrier(2)

    def save(name: str, case_id: uuid.UUID) -> None:
        barrier.wait()
        try:
            writer.save(Ledger(case_id=case_id))
            results[name] = None
        except BaseException as e:
            results[name] = e

    fresh = uuid.uuid4()
    threads = [
        threading.Thread(target=save, args=("dup", taken)),
        threading.Thread(target=save, args=("new", fresh)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(results["dup"], IntegrityError)
    assert results["new"] is None and app.notes(fresh) == []
    with pytest.raises(IntegrityError):
        writer.save(Ledger(case_id=taken))
    writer.close()
