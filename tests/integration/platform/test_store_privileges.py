"""A service cannot alter its own history: its store is made by an owner role
(`maag db migrate`), and the role the service runs as may add to its events, chain and
case index but not change or remove them (nor undo that)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import Tracking
from psycopg import sql
from typer.testing import CliRunner

from maag.ops.cli import app as cli
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.migrations import MigrationError, migrate, writer_env
from tests.support.keys import CHAIN_KEY, WRITER_PASSWORD
from tests.support.pipeline import Ledger, LedgerApp

WRITER = "maag_test_ledger"


@pytest.fixture
def owner(postgres_url: str, pg_schema: str) -> Settings:
    return Settings(postgres_url=postgres_url, postgres_schema=pg_schema)


@pytest.fixture
def writer(owner: Settings) -> Iterator[Settings]:
    """The service's settings: its own role, its store made by the owner."""
    tables = migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    assert tables == ["ledger_events", "ledger_chain", "ledger_case_index"]
    env = writer_env(owner, WRITER, WRITER_PASSWORD)
    yield Settings(
        postgres_url=env["MAAG_POSTGRES_URL"],
        postgres_password=env["MAAG_POSTGRES_PASSWORD"],
        postgres_schema=owner.postgres_schema,
        store_migrated=True,
        chain_key=CHAIN_KEY,  # its events sealed (maag.runtime.store.sealed), as a service's
    )


def _as(settings: Settings, statement: str) -> None:
    assert settings.postgres_url is not None
    with psycopg.connect(settings.postgres_url, password=settings.postgres_password) as conn:
        conn.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.postgres_schema or ""))
        )
        conn.execute(statement)


def _written(writer: Settings, round: int = 0) -> None:
    """What a service does: store events (eventsourcing locks the table to insert), record
    a tracked position, chain them and index their cases."""
    app = LedgerApp(writer)
    try:
        for _ in range(3):
            ledger = Ledger(case_id=uuid.uuid4())
            ledger.note("seen")
            app.save(ledger)
        again = Ledger(case_id=uuid.uuid4())
        app.record(Tracking("upstream", 2 * round + 1), [again])
        app.record(Tracking("upstream", 2 * round + 2), [Ledger(case_id=uuid.uuid4())])
        chain = EventChain(
            app, read_model_engine(writer, "ledger"), ChainKeys.derive(CHAIN_KEY, "ledger")
        )
        chain.extend()
        assert chain.verify().clean and chain.verify().chained == 8 * (round + 1)
        assert app.position("upstream") == 2 * round + 2
    finally:
        app.close()


@pytest.mark.parametrize("table", ["ledger_events", "ledger_chain", "ledger_case_index"])
def test_the_service_role_cannot_update_delete_or_truncate_its_history(
    writer: Settings, table: str
) -> None:
    _written(writer)
    for statement in (
        f"UPDATE {table} SET {'topic' if table == 'ledger_events' else 'case_id'} = NULL",
        f"DELETE FROM {table}",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            _as(writer, statement)
    # the events table: TRUNCATE is granted for eventsourcing's lock, and the trigger refuses it
    with pytest.raises(
        psycopg.errors.InsufficientPrivilege, match=r"append-only|permission denied"
    ):
        _as(writer, f"TRUNCATE {table}")
    for undo in (
        f"DROP TRIGGER maag_append_only ON {table}",
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"DROP TABLE {table}",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _as(writer, undo)
    _as(writer, f"GRANT UPDATE, DELETE ON {table} TO {WRITER}")  # "no privileges were granted"
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        _as(writer, f"DELETE FROM {table}")


def test_the_service_role_cannot_change_the_record_of_migrations(writer: Settings) -> None:
    """The rows its pods wait for (maag.runtime.store.migration_head): the role reads them and
    can neither write one nor take one away."""
    for statement in (
        "INSERT INTO maag_migrations (service, release) VALUES ('ledger', '9.9.9')",
        "UPDATE maag_migrations SET release = '9.9.9'",
        "DELETE FROM maag_migrations",
        "TRUNCATE maag_migrations",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            _as(writer, statement)


def test_not_even_the_owner_changes_history_without_first_dropping_the_trigger(
    owner: Settings, writer: Settings
) -> None:
    _written(writer)
    with pytest.raises(
        psycopg.errors.InsufficientPrivilege, match=r"DELETE on .*ledger_events refused"
    ):
        _as(owner, "DELETE FROM ledger_events")


def test_a_migration_again_changes_nothing_and_the_owner_cannot_be_the_writer(
    owner: Settings, writer: Settings
) -> None:
    _written(writer)
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    _written(writer, round=1)  # still writes, chains and tracks
    with pytest.raises(MigrationError, match="must not run as the store's owner"):
        migrate(owner, "ledger", "maag", None)
    with pytest.raises(MigrationError, match="not a plain role name"):
        migrate(owner, "ledger", 'x"; DROP TABLE y; --', None)
    with pytest.raises(MigrationError, match="role maag_no_such_role does not exist"):
        migrate(owner, "ledger", "maag_no_such_role", None)


def test_maag_db_migrate_makes_a_services_store(
    owner: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAAG_POSTGRES_URL", owner.postgres_url or "")
    monkeypatch.setenv("MAAG_POSTGRES_SCHEMA", owner.postgres_schema or "")
    monkeypatch.setenv("MAAG_POSTGRES_WRITER_PASSWORD", WRITER_PASSWORD)
    result = CliRunner().invoke(cli, ["db", "migrate", "panel", "--writer", "maag_test_panel"])
    assert result.exit_code == 0, result.output
    assert (
        "panel: panel_events, panel_chain, panel_case_index append-only; runs as maag_test_panel"
        in (result.output)
    )
    two = CliRunner().invoke(cli, ["db", "migrate", "panel", "referral", "--writer", "x"])
    assert two.exit_code == 2 and "one service" in two.output


def test_the_runtimes_own_connections_sign_in_with_the_password_kept_apart(
    writer: Settings,
) -> None:
    """The leader lock (the outbox relay, the email sender) and the wake-up listener connect
    themselves: with MAAG_POSTGRES_PASSWORD apart from the URL, as in Kubernetes, they once
    failed to sign in, so no replica ever led and nothing was published."""
    from maag.runtime.follow.follower import Wakeup
    from maag.runtime.follow.leadership import Leadership

    assert writer.postgres_url is not None and ":" not in writer.postgres_url.split("@")[0][13:]
    leader = Leadership(writer.postgres_conninfo, "test-lead")
    try:
        assert leader.holds()
    finally:
        leader.release()
    app = LedgerApp(writer)
    try:
        wakeup = Wakeup.of(app, writer.postgres_conninfo)

        async def listens() -> bool:
            woken = wakeup.register()
            try:
                return await asyncio.to_thread(wakeup.listening.wait, 10)
            finally:
                wakeup.unregister(woken)

        assert asyncio.run(listens())
        with psycopg.connect(writer.postgres_conninfo or "", autocommit=True) as conn:
            assert conn.execute("SELECT current_user").fetchone() == (WRITER,)
    finally:
        app.close()
