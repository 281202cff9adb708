"""Audited reads: one small aggregate per read, saying who read which case where and
whether personal details were shown; reads stored before that field existed still load."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from contracts.reference import Role
from maag.runtime import causation
from maag.runtime.evidence.reads import CaseRead, record_reads
from maag.runtime.settings import Settings
from maag.runtime.web.auth import Caller
from tests.support.pipeline import LedgerApp

CALLER = Caller.of("u-1", Role.AUDITOR, "county-audit")


def test_one_read_per_case_named_by_the_request(tmp_path: Path) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    cases = [uuid.uuid4(), uuid.uuid4()]
    with causation.caused_by(causation.of_request("GET", "/cases", "c-1")):
        record_reads(app, [*cases, cases[0]], CALLER)
    reads: list[Any] = [app.mapper.to_domain_event(n) for n in app.notifications_after(0)]
    assert sorted(r.case_id for r in reads) == sorted(cases)
    assert {(r.endpoint, r.personal_data, r.actor["role"]) for r in reads} == {
        ("GET /cases", False, "auditor")
    }


def test_a_read_stored_before_personal_data_was_recorded_still_loads(tmp_path: Path) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    read_id, case_id = uuid.uuid4(), uuid.uuid4()
    v1_state = {
        "timestamp": datetime.now(UTC),
        "originator_topic": get_topic(CaseRead),
        "case_id": case_id,
        "actor": CALLER.record,
        "endpoint": "GET /audit",
        "at": "2026-01-01T00:00:00+00:00",
    }
    stored = StoredEvent(
        originator_id=read_id,
        originator_version=1,
        topic=get_topic(CaseRead.Recorded),
        state=app.mapper.transcoder.encode(v1_state),
    )
    app.recorder.insert_events([stored])
    loaded: Any = app.repository.get(read_id)
    assert isinstance(loaded, CaseRead)
    assert (loaded.case_id, loaded.personal_data) == (case_id, False)
