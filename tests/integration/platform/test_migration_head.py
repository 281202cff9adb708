"""What a service's pod waits for before it starts (`maag db wait`, its init container in
Kubernetes; the migration itself is a Job per release): its own release's migration run on
its store, and the store at that release's head, read from the catalogue as the service's
own role, with no DDL and nothing written. And the migration as a Job runs it: waiting for a
database CloudNativePG is still making, taking no lock a write holds when it runs again,
and trying again rather than queueing the writes behind a lock it cannot take."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from maag.ops.cli import app as cli
from maag.runtime.settings import Settings
from maag.runtime.store import migrations
from maag.runtime.store.migration_head import behind, wait_for_head
from maag.runtime.store.migrations import (
    LOCK_TIMEOUT,
    RELEASE,
    MigrationError,
    build_identity,
    history_tables,
    migrate,
    release_of,
    writer_env,
)
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
        *(f"{owner.postgres_schema}.{t} does not exist" for t in history_tables("ledger")),
        f"release {RELEASE}'s migration has not run on it (none has run)",
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
    assert f"at release {RELEASE}'s head" in waited.output


def test_a_store_the_previous_release_migrated_keeps_the_new_release_waiting(
    owner: Settings,
) -> None:
    """Every table there, every trigger in place: still not this release's head until this
    release's own migration has recorded itself (a release may add what the catalogue check
    cannot name)."""
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD, release="0.0.9")
    writer = _as_writer(owner)
    assert behind(writer, "ledger", release="0.1.0") == [
        "release 0.1.0's migration has not run on it (the last was 0.0.9's)"
    ]
    with pytest.raises(MigrationError, match=r"release 0\.1\.0's head"):
        wait_for_head(writer, "ledger", timeout=0.2, interval=0.1, release="0.1.0")
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD, release="0.1.0")
    assert behind(writer, "ledger", release="0.1.0") == []
    # the service's role reads the record and may not write one
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _run(writer, "INSERT INTO maag_migrations (service, release) VALUES ('ledger', '9.9.9')")


def test_a_disabled_trigger_is_not_the_head_and_the_migration_enables_it(
    owner: Settings,
) -> None:
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    _run(owner, "ALTER TABLE ledger_chain DISABLE TRIGGER maag_append_only")
    where = f"{owner.postgres_schema}.ledger_chain"
    assert behind(_as_writer(owner), "ledger") == [f"{where} has no append-only trigger"]
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    assert behind(_as_writer(owner), "ledger") == []


def _hold(
    owner: Settings, statement: str, seconds: float
) -> tuple[threading.Thread, threading.Event]:
    """A transaction that takes a lock with `statement` and holds it `seconds` (or until the
    event is set): a service's write in flight."""
    taken = threading.Event()
    done = threading.Event()

    def run() -> None:
        assert owner.postgres_url is not None
        with psycopg.connect(owner.postgres_url) as conn:
            conn.execute(f"SET search_path TO {owner.postgres_schema}")
            conn.execute(statement)
            taken.set()
            done.wait(seconds)
            conn.rollback()

    thread = threading.Thread(target=run)
    thread.start()
    assert taken.wait(10)
    return thread, done


def test_running_the_migration_again_waits_for_no_lock_a_write_holds(
    owner: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release's Job re-created (a new release, or a Job collected and applied again)
    finds the triggers in place and leaves them: nothing waits on the services' writes to its
    history (a DROP TRIGGER would have waited for the write, and every write after it for
    the DROP)."""
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    # a write in flight on the hash chain, and no patience: any lock it holds stops us at once
    monkeypatch.setattr(migrations, "LOCK_TIMEOUT", "200ms")
    thread, done = _hold(
        owner, "INSERT INTO ledger_case_index VALUES (gen_random_uuid(), gen_random_uuid())", 30
    )
    try:
        started = time.monotonic()
        migrate(owner, "ledger", WRITER, WRITER_PASSWORD, release="0.2.0")
        assert time.monotonic() - started < 10
    finally:
        done.set()
        thread.join()
    assert behind(_as_writer(owner), "ledger", release="0.2.0") == []


def test_a_lock_not_free_is_tried_again_rather_than_waited_for(owner: Settings) -> None:
    """The trigger must be made, and a write holds its table a while: the migration gives up
    after LOCK_TIMEOUT (the writes behind it wait no longer than that) and tries again."""
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    _run(owner, "DROP TRIGGER maag_append_only ON ledger_case_index")
    held = float(LOCK_TIMEOUT.removesuffix("s")) + 1
    thread, done = _hold(owner, "LOCK TABLE ledger_case_index IN ROW EXCLUSIVE MODE", held)
    said: list[str] = []
    try:
        migrate(owner, "ledger", WRITER, WRITER_PASSWORD, report=said.append)
    finally:
        done.set()
        thread.join()
    assert f"a lock not free within {LOCK_TIMEOUT}; trying again" in said, said
    assert behind(_as_writer(owner), "ledger") == []


@pytest.fixture
def ghost(owner: Settings) -> Iterator[str]:
    """A role no one has made yet (CloudNativePG makes it a moment later)."""
    name = f"maag_test_ghost_{uuid.uuid4().hex[:8]}"
    yield name
    # its grants are on the test's schema alone: dropped with it, the role can go
    assert owner.postgres_url is not None
    with psycopg.connect(owner.postgres_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if exists:
            conn.execute(f"DROP SCHEMA IF EXISTS {owner.postgres_schema} CASCADE")
            conn.execute(f"CREATE SCHEMA {owner.postgres_schema}")
            conn.execute(f"DROP ROLE {name}")


def test_the_migration_waits_for_the_writer_role_the_operator_is_still_making(
    owner: Settings, ghost: str
) -> None:
    with pytest.raises(MigrationError, match=f"role {ghost} does not exist yet"):
        migrate(owner, "ledger", ghost, timeout=0.3)
    said: list[str] = []

    def waiting(reason: str) -> None:
        # the operator makes the role while the migration waits for it
        said.append(reason)
        if len(said) == 1:
            _run(owner, f"CREATE ROLE {ghost} LOGIN PASSWORD '{WRITER_PASSWORD}'")

    migrate(owner, "ledger", ghost, timeout=20, report=waiting)
    assert said == [f"role {ghost} does not exist yet"]


def test_maag_db_migrate_names_the_database_it_waited_for_without_a_traceback(
    owner: Settings,
) -> None:
    assert owner.postgres_url is not None
    missing = owner.postgres_url.rsplit("/", 1)[0] + "/maag_not_made_yet"
    env = {"MAAG_POSTGRES_URL": missing, "MAAG_POSTGRES_SCHEMA": owner.postgres_schema or ""}
    result = CliRunner().invoke(
        cli, ["db", "migrate", "panel", "--writer", "panel", "--timeout", "1"], env=env
    )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback: a message
    assert "panel: waiting: " in result.output
    assert 'database "maag_not_made_yet" does not exist' in result.output
    assert "error: the database maag_not_made_yet on " in result.output
    assert "after 1 s" in result.output


def test_a_release_is_the_version_and_the_build_of_the_migration() -> None:
    """A build whose migration changed is a new release though nobody bumped the version: its
    pods wait for its own migration, not for the row an older build of 0.1.0 left."""
    source = Path(migrations.__file__).read_bytes()
    assert RELEASE.endswith(f"+{build_identity(source)}")
    assert build_identity(source + b"# changed") != build_identity(source)
    assert release_of("v0.1", "abc") == release_of("0.1", "abc") == "0.1+abc"


def test_two_migrations_of_one_store_at_once_both_succeed(owner: Settings) -> None:
    """A Job's second pod started while its first still runs, or two releases applied close
    together: they take turns, and neither fails on the other's tables, triggers or grants."""
    failed: list[BaseException] = []

    def run(release: str) -> None:
        try:
            migrate(owner, "ledger", WRITER, WRITER_PASSWORD, release=release)
        except BaseException as e:  # reported below, with the thread's cause
            failed.append(e)

    releases = [f"0.1.0+{n}" for n in "abcd"]
    threads = [threading.Thread(target=run, args=(r,)) for r in releases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == []
    writer = _as_writer(owner)
    for release in releases:
        assert behind(writer, "ledger", release=release) == []


def _grants(owner: Settings) -> list[tuple[str, str]]:
    assert owner.postgres_url is not None
    with psycopg.connect(owner.postgres_url) as conn:
        rows = conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_schema = %s ORDER BY 1, 2",
            (WRITER, owner.postgres_schema),
        ).fetchall()
    return [(t, p) for t, p in rows]


def test_an_older_release_migrated_after_a_newer_one_changes_nothing(owner: Settings) -> None:
    """A rollback's Job: it records that it ran (its pods, back on it, start) and takes back
    nothing the newer release granted or guarded."""
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD, release="0.2.0")
    _run(owner, f"GRANT UPDATE ON ledger_chain TO {WRITER}")  # as a newer release might
    before = _grants(owner)
    said: list[str] = []
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD, release="0.1.0+a", report=said.append)
    assert _grants(owner) == before
    assert said == ["release 0.2.0 already migrated this store: 0.1.0+a recorded, nothing changed"]
    assert "release 0.1.0+a's migration has not run" not in " ".join(
        behind(_as_writer(owner), "ledger", release="0.1.0+a")
    )


@pytest.mark.parametrize("write", ["INSERT", "UPDATE", "DELETE", "TRUNCATE"])
def test_a_writer_that_may_change_the_releases_record_is_not_the_head(
    owner: Settings, write: str
) -> None:
    """A rollback to a release that granted more (or an owner's slip): the service's role could
    record a release no migration ran, or take one's record away."""
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    _run(owner, f"GRANT {write} ON maag_migrations TO {WRITER}")
    assert behind(_as_writer(owner), "ledger") == [
        f"{owner.postgres_schema}.maag_migrations: this role may {write} (it must only read it)"
    ]


def test_every_connection_of_the_migration_gives_up_on_a_lock(
    owner: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event store library's table creation too (its CREATE INDEX IF NOT EXISTS takes a
    SHARE lock), with no PGOPTIONS from whoever runs it: a write holding the events table
    makes the migration give up and say so, not queue every write behind it."""
    migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
    monkeypatch.delenv("PGOPTIONS", raising=False)
    monkeypatch.setattr(migrations, "LOCK_TIMEOUT", "200ms")
    monkeypatch.setattr(migrations, "LOCK_ATTEMPTS", 2)
    thread, done = _hold(owner, "LOCK TABLE ledger_events IN ROW EXCLUSIVE MODE", 60)
    try:
        started = time.monotonic()
        with pytest.raises(MigrationError, match="a lock not free within 200ms, 2 times"):
            migrate(owner, "ledger", WRITER, WRITER_PASSWORD)
        assert time.monotonic() - started < 20
    finally:
        done.set()
        thread.join()
