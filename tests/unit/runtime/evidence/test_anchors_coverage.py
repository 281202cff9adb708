"""`verify` fails when a store has fewer anchors than its history requires: the anchorer
anchors a moved head every interval, so a stretch of events whose first anchor came more
than two intervals after them lost the anchors made meanwhile. On the store itself (SQLite),
with the events' recorded times set by the clock the library reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from maag.runtime.evidence import anchors
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from tests.support.pipeline import Ledger, LedgerApp

MASTER = bytes(range(32))
KEYS = ChainKeys.derive(MASTER, "ledger")
INTERVAL = 60.0  # MAAG_ANCHOR_INTERVAL
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# (minutes after T0 the events are recorded, chained and, a second later, anchored)
SCHEDULE = [0, 10, 20, 21, 22]  # idle from 0 to 10 and from 10 to 20


class History:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        settings = Settings(data_dir=tmp_path, chain_key=MASTER)
        self.app = LedgerApp(settings)
        self.chain = EventChain(self.app, read_model_engine(settings, "ledger"), KEYS)
        self.records: dict[int, anchors.Record] = {}  # by head
        for minutes in SCHEDULE:
            now = T0 + timedelta(minutes=minutes)
            monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", lambda t=now: t)
            for _ in range(2):  # two aggregates of two events each: 4 notifications
                ledger = Ledger(case_id=uuid.uuid4())
                ledger.note("seen")
                self.app.save(ledger)
            self.chain.extend()
            head, digest = self.chain.current_head()
            signed = KEYS.sign(head, digest, now + timedelta(seconds=1), "interval")
            self.records[head] = (f"t@{head}", signed.model_dump_json().encode())

    def breaks(self, *removed: int) -> list[tuple[int, str, str]]:
        kept = [r for head, r in self.records.items() if head not in removed]
        verdict = anchors.verify(self.chain, kept, INTERVAL)
        return [(b.notification_id, b.kind, b.detail) for b in verdict.breaks]


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    return History(tmp_path, monkeypatch)


def test_a_store_anchored_on_every_interval_it_was_busy_is_intact(history: History) -> None:
    assert sorted(history.records) == [4, 8, 12, 16, 20]
    assert history.breaks() == []  # idle stretches (no events, no anchors) need none


def test_anchors_removed_from_a_busy_stretch_are_missed_naming_its_events(
    history: History,
) -> None:
    # The anchors of 21 and 22 minutes removed: the first anchor over the events of 20 is
    # the one of 22 minutes, more than two intervals after them.
    ((nid, kind, detail),) = history.breaks(12, 16)
    assert (nid, kind) == (9, "unanchored")
    assert detail.startswith(
        "no anchor covers notifications 9 to 12, chained between 2026-03-02 09:20:00 UTC "
        "and 2026-03-02 09:20:00 UTC: the first anchor over them was made "
        "2026-03-02 09:22:01 UTC"
    )


def test_the_first_events_need_an_anchor_too(history: History) -> None:
    ((nid, kind, detail),) = history.breaks(4)
    assert (nid, kind) == (1, "unanchored")
    assert "notifications 1 to 4, chained between 2026-03-02 09:00:00 UTC" in detail


def test_one_anchor_missing_between_two_made_within_two_intervals_is_within_the_slack(
    history: History,
) -> None:
    # The anchorer may skip an interval (the chainer's lag): two intervals are allowed.
    assert history.breaks(16) == []
