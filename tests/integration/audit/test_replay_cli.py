"""`maag audit replay --from-stores`: the case's timeline read straight from the stores on
the real PostgreSQL (for when the services are down), and a clear error for a bad case."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from maag.ops.cli import app as cli
from maag.runtime.settings import Settings
from tests.support.pipeline import Ledger, LedgerApp


def test_a_case_is_replayed_from_the_stores(
    postgres_url: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(postgres_url=postgres_url, postgres_schema=pg_schema)
    panel_store = type("PanelLedger", (LedgerApp,), {"name": "panel"})(settings)
    case_id, other = uuid.uuid4(), uuid.uuid4()
    for c in (case_id, other):
        ledger = Ledger(case_id=c)
        ledger.note("decided")
        panel_store.save(ledger)
    # the store above is not encrypted: no key, single or each service's (another test's
    # `maag` command may have read .maag/secrets.env into this process)
    monkeypatch.delenv("MAAG_CIPHER_KEY", raising=False)
    monkeypatch.delenv("MAAG_CIPHER_KEYS", raising=False)
    monkeypatch.setenv("MAAG_POSTGRES_URL", postgres_url)
    monkeypatch.setenv("MAAG_POSTGRES_SCHEMA", pg_schema)

    result = CliRunner().invoke(
        cli, ["audit", "replay", str(case_id), "--from-stores", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [(e["service"], e["event"]) for e in body["entries"]] == [
        ("panel", "Ledger.Opened"),
        ("panel", "Ledger.Noted"),
    ]
    assert {e["case_id"] for e in body["entries"]} == {str(case_id)}

    unknown = CliRunner().invoke(cli, ["audit", "replay", str(uuid.uuid4()), "--from-stores"])
    assert unknown.exit_code == 3 and "0 events" in unknown.output
    bad = CliRunner().invoke(cli, ["audit", "replay", "not-a-case", "--from-stores"])
    assert bad.exit_code == 2
    naive = CliRunner().invoke(
        cli, ["audit", "replay", str(case_id), "--as-of", "2026-11-27T10:00"]
    )
    assert naive.exit_code == 2 and "time zone" in naive.output
