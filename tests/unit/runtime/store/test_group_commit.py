"""Group commit: concurrent callers' events all land; a caller whose events are refused alone
gets the error; closing commits what was queued and refuses the rest."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from maag.ops.demo.client import wait_for
from maag.runtime.settings import Settings
from maag.runtime.store.group_commit import GroupCommit, WriterClosed
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


def test_events_that_cannot_be_stored_fail_their_caller_alone_not_its_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    writer = GroupCommit(app)
    inside, release = threading.Event(), threading.Event()
    real = app.save

    def held_first(*objs: Any, **kwargs: Any) -> Any:
        if not inside.is_set():  # the writer's first batch waits: the next calls queue up
            inside.set()
            assert release.wait(10)
        return real(*objs, **kwargs)

    monkeypatch.setattr(app, "save", held_first)
    first = threading.Thread(target=writer.save, args=(Ledger(case_id=uuid.uuid4()),))
    first.start()
    assert inside.wait(10)
    bad = Ledger(case_id=uuid.uuid4())
    bad.note(object())  # type: ignore[arg-type]  # no transcoding for it: the mapper raises
    good_id = uuid.uuid4()
    good = Ledger(case_id=good_id)
    good.note("e1")
    results: dict[str, BaseException | None] = {}

    def save(name: str, ledger: Ledger) -> None:
        try:
            writer.save(ledger)
            results[name] = None
        except BaseException as e:
            results[name] = e

    threads = [threading.Thread(target=save, args=a) for a in (("bad", bad), ("good", good))]
    for t in threads:
        t.start()
    wait_for("both calls queued behind the first batch", lambda: writer._calls.qsize() == 2 or None)
    release.set()
    for t in [first, *threads]:
        t.join()
    assert results["bad"] is not None and not isinstance(results["bad"], IntegrityError)
    assert results["good"] is None and app.notes(good_id) == ["e1"]
    writer.close()


def test_a_closed_writer_commits_what_was_queued_and_refuses_what_comes_after(
    tmp_path: Path,
) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    writer = GroupCommit(app)
    kept = uuid.uuid4()
    writer.save(Ledger(case_id=kept))
    writer.close()
    assert not writer._thread.is_alive()  # joined: the store may be closed now
    with pytest.raises(WriterClosed):  # never left waiting on a writer that is gone
        writer.save(Ledger(case_id=uuid.uuid4()))
    assert app.repository.get(kept) is not None
