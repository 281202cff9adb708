"""What a service's pod waits for before it starts (`maag db wait`, its init container in
Kubernetes; the migration itself is a Job per release): its store at this release's head,
read from the catalogue as the service's own role, with no DDL and nothing written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from maag.ops.cli import app as cli
from maag.runtime.settings import Settings
from maag.runtime.store.migration_head import behind, wait_for_head
from maag.runtime.store.migrations import MigrationError, history_tables, migrate, writer_env
from tests.support.keys import WRITER_PASSWORD

WRITER = "maag_test_ledger"


@pytest.fixture
def owner(postgres_url: str, pg_schema: str) -> Settings:
    return Settings(postgres_url=postgres_url, postgres_schema=pg_schema)


def _as_writer(owner: Settings) -> Settings:
    env = writer_env(owner, WRITER, WRITER_PASSWORD)
    return Settings(
        postgres_url=env["MAAG_POSTGRES_URL"],
        postgres_password=env["MAAG_POSTGRES_PASSWORD"],
        postgres_schema=owner.postgres_schema,
        store_migrated=True,
    )


def _run(settings: Settings, statement: str) -> None:
    import psycopg
    from psycopg import sql

    assert settings.postgres_url is not None
    with psycopg.connect(settings.postgres_url, password=settings.postgres_password) as conn:
        conn.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.postgres_schema or ""))
        )
        conn.execute(statement)


def test_a_store_not_migrated_is_behind_and_the_wait_names_what_it_lacks(
    owner: Settings,
) -> None:
    assert behind(owner, "ledger") == [
        f"{owner.postgres_schema}.{t} does not exist" for t in history_tables("ledger")
    ]
    with pytest.raises(MigrationError, match="has its release's migration Job run"):
        wait_for_head(owner, "ledger", timeout=0.3, interval=0.1)


def test_a_migrated_store_is_at_the_head_read_without_writing(
    owner: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    # every session read-only (libpq's PGOPTIONS): the wait makes no table and takes no lock
    # a write would
    with monkeypatch.context() as read_only:
        read_only.setenv("PGOPTIONS", "-c default_transaction_read_only=on")
        assert behind(_as_writer(owner), "ledger") == []
        wait_for_head(_as_writer(owner), "ledger", timeout=1)


def test_a_history_table_the_service_made_itself_is_not_the_head(owner: Settings) -> None:
    """The order the wait prevents: a release brings a history table, and its service starts
    before the migration ran. The service's role may create tables (its read models), so the
    table would be its own, unguarded: the wait refuses it."""
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    _run(owner, "DROP TABLE ledger_case_index")
    writer = _as_writer(owner)
    _run(writer, "CREATE TABLE ledger_case_index (case_id uuid, originator_id uuid)")
    where = f"{owner.postgres_schema}.ledger_case_index"
    assert behind(writer, "ledger") == [
        f"{where} has no append-only trigger",
        f"{where} belongs to this role (it must be the owner's)",
        f"{where}: this role may update its history",
    ]


def test_a_trigger_dropped_by_the_owner_is_not_the_head(owner: Settings) -> None:
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    _run(owner, "DROP TRIGGER maag_append_only ON ledger_chain")
    assert behind(_as_writer(owner), "ledger") == [
        f"{owner.postgres_schema}.ledger_chain has no append-only trigger"
    ]


def test_maag_db_wait_returns_at_the_head_and_exits_1_naming_what_is_missing(
    owner: Settings,
) -> None:
    schema = owner.postgres_schema or ""
    writer_role = "maag_test_panel"
    assert owner.postgres_url is not None
    env = {"MAAG_POSTGRES_URL": owner.postgres_url, "MAAG_POSTGRES_SCHEMA": schema}
    waited = CliRunner().invoke(cli, ["db", "wait", "panel", "--timeout", "0.2"], env=env)
    assert waited.exit_code == 1, waited.output
    assert f"{schema}.panel_events does not exist" in waited.output
    migrate(owner, "panel", writer_role, WRITER_PASSWORD)
    as_service = {
        **writer_env(owner, writer_role, WRITER_PASSWORD),
        "MAAG_POSTGRES_SCHEMA": schema,
    }
    waited = CliRunner().invoke(cli, ["db", "wait", "panel", "--timeout", "5"], env=as_service)
    assert waited.exit_code == 0, waited.output
    assert "at this release's head" in waited.output
