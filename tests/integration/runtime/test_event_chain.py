"""Tamper evidence on the real PostgreSQL store: change a payload byte, delete a row, swap two
rows, slip a row into the chained history — `verify` names the place; untouched, it is clean."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from maag.cli import app as cli
from maag.runtime.chain import EventChain
from maag.runtime.projection import read_model_engine
from maag.runtime.settings import Settings
from tests.support.pipeline import Ledger, LedgerApp


@pytest.fixture
def chained(postgres_url: str, pg_schema: str) -> tuple[LedgerApp, EventChain, Settings]:
    settings = Settings(postgres_url=postgres_url, postgres_schema=pg_schema)
    ledger = LedgerApp(settings)
    for _ in range(5):
        entry = Ledger(case_id=uuid.uuid4())
        entry.note("seen")
        ledger.save(entry)
    chain = EventChain(ledger, read_model_engine(settings, "ledger"))
    chain.extend()
    return ledger, chain, settings


def _sql(settings: Settings, query: str, *params: Any) -> list[tuple[Any, ...]]:
    assert settings.postgres_url and settings.postgres_schema
    with psycopg.connect(settings.postgres_url) as conn:
        conn.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.postgres_schema))
        )
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def test_an_untouched_store_verifies_clean(chained: tuple[LedgerApp, EventChain, Settings]) -> None:
    _, chain, _ = chained
    verdict = chain.verify()
    assert verdict.clean and verdict.chained == 10 and verdict.head == verdict.stored_head


def test_a_changed_payload_byte_is_caught_at_that_event(
    chained: tuple[LedgerApp, EventChain, Settings],
) -> None:
    _, chain, settings = chained
    _sql(
        settings,
        "UPDATE ledger_events SET state = overlay(state placing '\\x00'::bytea from 3 for 1) "
        "WHERE notification_id = 4",
    )
    (b,) = chain.verify().breaks
    assert (b.notification_id, b.kind) == (4, "altered")


def test_a_deleted_event_is_caught(chained: tuple[LedgerApp, EventChain, Settings]) -> None:
    _, chain, settings = chained
    _sql(settings, "DELETE FROM ledger_events WHERE notification_id = 7")
    assert [(b.notification_id, b.kind) for b in chain.verify().breaks] == [(7, "deleted")]


def test_two_swapped_events_are_caught_at_both(
    chained: tuple[LedgerApp, EventChain, Settings],
) -> None:
    _, chain, settings = chained
    rows = _sql(
        settings, "SELECT notification_id, state FROM ledger_events WHERE notification_id IN (2, 6)"
    )
    states = dict(rows)
    _sql(settings, "UPDATE ledger_events SET state = %s WHERE notification_id = 2", states[6])
    _sql(settings, "UPDATE ledger_events SET state = %s WHERE notification_id = 6", states[2])
    assert [(b.notification_id, b.kind) for b in chain.verify().breaks] == [
        (2, "altered"),
        (6, "altered"),
    ]


def test_an_event_slipped_into_the_chained_history_is_caught(
    chained: tuple[LedgerApp, EventChain, Settings],
) -> None:
    ledger, chain, settings = chained
    _sql(
        settings, "SELECT setval('ledger_events_notification_id_seq', 15)"
    )  # a gap, as rollbacks leave
    later = Ledger(case_id=uuid.uuid4())
    later.note("seen")
    ledger.save(later)
    chain.extend()
    assert chain.verify().clean and chain.verify().head == 17
    _sql(
        settings,
        "INSERT INTO ledger_events (originator_id, originator_version, topic, state, notification_id) "
        "SELECT originator_id, 99, topic, state, 12 FROM ledger_events WHERE notification_id = 4",
    )
    assert [(b.notification_id, b.kind) for b in chain.verify().breaks] == [(12, "inserted")]


def test_maag_audit_verify_reports_the_break_and_fails(
    chained: tuple[LedgerApp, EventChain, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, settings = chained
    monkeypatch.setenv("MAAG_POSTGRES_URL", settings.postgres_url or "")
    monkeypatch.setenv("MAAG_POSTGRES_SCHEMA", settings.postgres_schema or "")
    clean = CliRunner().invoke(cli, ["audit", "verify", "ledger"])
    assert clean.exit_code == 0 and "10 events chained" in clean.output and "intact" in clean.output
    _sql(settings, "UPDATE ledger_events SET topic = topic || 'x' WHERE notification_id = 3")
    broken = CliRunner().invoke(cli, ["audit", "verify", "ledger"])
    assert broken.exit_code == 1
    assert "notification 3: altered" in broken.output


def test_an_auditor_reads_each_stores_tamper_check_over_http(
    chained: tuple[LedgerApp, EventChain, Settings],
) -> None:
    """`GET /audit/store` (every service has it; the web app shows it) says what `verify`
    says, to auditors only."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from maag.runtime import audit_api, http
    from maag.runtime.case_history import CaseHistory
    from maag.runtime.spec import AuditSpec
    from tests.support.identity import auth, verifier

    ledger, chain, settings = chained
    api = FastAPI()
    http.install(api, verifier())
    audit_api.install(api, CaseHistory("ledger", ledger, chain, AuditSpec()), {})
    client = TestClient(api)
    auditor = auth("auditor", "county-audit")
    intact = client.get("/audit/store", headers=auditor).json()
    assert (intact["intact"], intact["chained"], intact["breaks"]) == (True, 10, [])
    _sql(settings, "DELETE FROM ledger_events WHERE notification_id = 7")
    broken = client.get("/audit/store", headers=auditor).json()
    assert broken["intact"] is False
    assert broken["breaks"] == ["notification 7: deleted (chained, no longer stored)"]
    assert (
        client.get("/audit/store", headers=auth("commissioner", "childrens-services")).status_code
        == 403
    )
