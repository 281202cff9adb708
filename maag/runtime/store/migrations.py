"""A service's store made by an owner role, and handed to the role the service runs as with
only what it needs: its history (events, hash chain, case index) append-only.

`maag db migrate SERVICE --writer ROLE`, run with the owner's credentials (locally the
`maag` role; in Kubernetes the service's `<service>_owner` role, from the release's
migration Job: no service pod holds the owner's password), first waits (bounded) for the
database to take the owner and for the writer role to exist (CloudNativePG makes the cluster,
the roles and the databases while the first install's Jobs already run), then creates the
store's tables and:
- a statement trigger on each history table refuses UPDATE, DELETE and TRUNCATE, whoever
  asks (the tables' owner included, until someone drops the trigger as the owner);
- the writer may SELECT and INSERT on them, and has no UPDATE or DELETE. It is granted
  TRUNCATE on the events table only because eventsourcing serialises its inserts with
  `LOCK TABLE ... IN EXCLUSIVE MODE`, which PostgreSQL allows only to a role with UPDATE,
  DELETE or TRUNCATE; the trigger refuses the TRUNCATE itself;
- the writer may create tables in the schema (its read models, which it rebuilds), may
  change any other table there (read models restored from a dump belong to the restorer),
  and may update its tracking rows (eventsourcing's positions are upserted);
- the release that migrated the store is recorded (RELEASES, owned by the owner, read-only
  to the writer) in the same transaction as the last of these steps: a service's pods wait
  for their own release's row (maag.runtime.store.migration_head), not for any migration.

Run again (the next release, a Job re-created), it changes only what is missing: a trigger
already in place is left alone, so a re-run takes no lock that stops the services' writes
beyond the SHARE lock eventsourcing's `CREATE INDEX IF NOT EXISTS` takes for an instant.
Every lock is waited for at most LOCK_TIMEOUT, and the migration tries again, up to
LOCK_ATTEMPTS times, rather than queue the writes behind it.

A service started with MAAG_STORE_MIGRATED=true then creates none of its store's tables.
tests/integration/platform/test_store_privileges.py proves the writer cannot change its
history and that a service runs as it.
"""

from __future__ import annotations

import importlib.metadata
import re
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import psycopg
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier, Literal

from maag.runtime.evidence.case_index import cases_table
from maag.runtime.evidence.chain import chain_table
from maag.runtime.follow.projection import create_tables, read_model_engine
from maag.runtime.settings import Settings, postgres_env
from maag.runtime.store.application import ServiceApplication

TRIGGER = "maag_append_only"
# The trigger as pg_trigger records it (`tgtype`'s bits): BEFORE (2), DELETE (8), UPDATE (16)
# and TRUNCATE (32), for each statement (no ROW bit).
TRIGGER_TYPE = 2 | 8 | 16 | 32
# Whether the pg_class row `c` carries the trigger as the migration makes it: that name, that
# type, the schema's function, enabled. Read by the migration (to leave a right one alone)
# and by the wait for it (a disabled or altered trigger is not the head).
GUARDED = """EXISTS (
  SELECT 1 FROM pg_trigger g
  WHERE g.tgrelid = c.oid AND g.tgname = %(trigger)s AND g.tgtype = %(trigger_type)s
    AND g.tgenabled IN ('O', 'A')
    AND g.tgfoid = to_regprocedure(format('%%I.%%I()', %(schema)s::text, %(trigger)s::text))
)"""
# One row per (service, release) that migrated the store.
RELEASES = "maag_migrations"
ROLE_ATTEMPTS = 5
ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# How long a migration waits for a lock before it gives up and tries again: the services'
# writes that arrive meanwhile queue behind it, so never long. In Kubernetes the Job sets it
# for every connection it opens (PGOPTIONS, maag.ops.deployment); here for the migration's own.
LOCK_TIMEOUT = "2s"
LOCK_ATTEMPTS = 10
CONNECT_TIMEOUT_S = 5
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout reached


class MigrationError(RuntimeError):
    pass


def _release() -> str:
    """This code's release: pyproject.toml's in a checkout (where the manifests are rendered
    and the tests run), the installed package's elsewhere (the image)."""
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    if pyproject.is_file():
        version: str = tomllib.loads(pyproject.read_text())["project"]["version"]
        return version
    return importlib.metadata.version("maag")


RELEASE = _release()


def local_writer(service: str) -> str:
    """The role a service runs as locally (in Kubernetes: its CloudNativePG role)."""
    return f"maag_{service}"


def writer_env(settings: Settings, writer: str, password: str) -> dict[str, str]:
    """The environment that points a service at the same store as `writer`."""
    assert settings.postgres_url is not None
    pg = postgres_env(settings.postgres_url)
    host = f"{pg['POSTGRES_HOST']}:{pg['POSTGRES_PORT']}"
    return {
        "MAAG_POSTGRES_URL": f"postgresql://{writer}@{host}/{pg['POSTGRES_DBNAME']}",
        "MAAG_POSTGRES_PASSWORD": password,  # apart from the URL: any characters
        "MAAG_STORE_MIGRATED": "true",
    }


def history_tables(service: str) -> list[str]:
    """The tables of `service`'s history, made append-only: its events (eventsourcing names
    the table after the application), its hash chain and its case index. The migration makes
    them; a service's pod waits for them (maag.runtime.store.migration_head)."""
    return [f"{service}_events", chain_table(service).name, cases_table(service).name]


def migrate(
    settings: Settings,
    service: str,
    writer: str,
    writer_password: str | None = None,
    *,
    release: str = RELEASE,
    timeout: float = 0,
    report: Callable[[str], None] = lambda _: None,
) -> list[str]:
    """Make `service`'s store as the owner (settings' role) and grant `writer` its part, and
    record that `release` migrated it. With `writer_password` (locally), the writer role is
    created, or given that password, (the owner needs CREATEROLE); without, it must exist
    (CloudNativePG makes it): it is waited for, as the database is, up to `timeout` seconds
    (each new reason for waiting `report`ed once). Returns the history tables made
    append-only."""
    if settings.postgres_url is None:
        raise MigrationError("MAAG_POSTGRES_URL is not set: only a PostgreSQL store is migrated")
    if not ROLE.match(writer):
        raise MigrationError(f"--writer: {writer!r} is not a plain role name ([a-z_][a-z0-9_]*)")
    owner = postgres_env(settings.postgres_url, settings.postgres_password)
    if writer == owner["POSTGRES_USER"]:
        raise MigrationError("--writer: the service must not run as the store's owner")
    conninfo = settings.postgres_conninfo or ""
    wait_for_database(
        conninfo, [] if writer_password is not None else [writer], timeout, report=report
    )
    for attempt in range(LOCK_ATTEMPTS):
        try:
            return _migrate(settings, service, writer, writer_password, release)
        except Exception as e:
            if not _lock_timed_out(e):
                raise
            if attempt == LOCK_ATTEMPTS - 1:
                raise MigrationError(
                    f"{service}: a lock the migration needs was not free within "
                    f"{LOCK_TIMEOUT}, {LOCK_ATTEMPTS} times (a long transaction on the store?): "
                    f"{_first_line(e)}"
                ) from e
            report(f"a lock was not free within {LOCK_TIMEOUT}; trying again")
            time.sleep(min(0.5 * 2**attempt, 10.0))
    raise AssertionError("unreachable")


def _migrate(
    settings: Settings, service: str, writer: str, writer_password: str | None, release: str
) -> list[str]:
    store = type(f"{service.capitalize()}Store", (ServiceApplication,), {"name": service})(settings)
    try:
        recorder = store.recorder
        assert isinstance(recorder, PostgresProcessRecorder)  # a PostgreSQL URL was given
        schema = recorder.datastore.schema
        events = recorder.events_table_name
        tracking = recorder.tracking_table_name
    finally:
        store.close()
    engine = read_model_engine(settings, service)
    try:
        for made in (chain_table(service), cases_table(service)):
            create_tables(made.metadata, engine)
    finally:
        engine.dispose()
    history = history_tables(service)
    if history[0] != events:  # the wait for the migration looks for the name declared here
        raise MigrationError(f"eventsourcing named {service}'s events table {events}")
    conninfo = settings.postgres_conninfo or ""
    _ensure_role(conninfo, writer, writer_password)
    # One transaction (psycopg commits at the block's end): the release's row is there only if
    # everything before it is.
    with psycopg.connect(
        conninfo, connect_timeout=CONNECT_TIMEOUT_S, options=f"-c lock_timeout={LOCK_TIMEOUT}"
    ) as conn:
        s = Identifier(schema)
        w = Identifier(writer)
        conn.execute(
            SQL(
                "CREATE OR REPLACE FUNCTION {}.{}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION '% on %.% refused: a service''s history is append-only', "
                "TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
                "END $$"
            ).format(s, Identifier(TRIGGER))
        )
        # Its read models (restored from a dump, they belong to whoever restored them), then
        # the history, append-only.
        conn.execute(
            SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
                s, w
            )
        )
        for table in history:
            t = SQL("{}.{}").format(s, Identifier(table))
            if not _guarded(conn, schema, table):
                # PostgreSQL 14's CREATE OR REPLACE TRIGGER takes SHARE ROW EXCLUSIVE (a DROP
                # TRIGGER would take ACCESS EXCLUSIVE); only when the trigger is missing or
                # not as made here (disabled, altered).
                conn.execute(
                    SQL(
                        "CREATE OR REPLACE TRIGGER {} BEFORE UPDATE OR DELETE OR TRUNCATE ON {} "
                        "FOR EACH STATEMENT EXECUTE FUNCTION {}.{}()"
                    ).format(Identifier(TRIGGER), t, s, Identifier(TRIGGER))
                )
            conn.execute(SQL("REVOKE ALL ON {} FROM {}").format(t, w))
            conn.execute(SQL("GRANT SELECT, INSERT ON {} TO {}").format(t, w))
        conn.execute(SQL("GRANT TRUNCATE ON {}.{} TO {}").format(s, Identifier(events), w))
        conn.execute(
            SQL("GRANT SELECT, INSERT, UPDATE ON {}.{} TO {}").format(s, Identifier(tracking), w)
        )
        conn.execute(SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(s, w))
        conn.execute(SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, w))
        releases = SQL("{}.{}").format(s, Identifier(RELEASES))
        conn.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (service text NOT NULL, release text NOT NULL, "
                "migrated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (service, release))"
            ).format(releases)
        )
        conn.execute(SQL("REVOKE ALL ON {} FROM {}").format(releases, w))
        conn.execute(SQL("GRANT SELECT ON {} TO {}").format(releases, w))
        conn.execute(
            SQL(
                "INSERT INTO {} (service, release) VALUES ({}, {}) "
                "ON CONFLICT (service, release) DO UPDATE SET migrated_at = now()"
            ).format(releases, Literal(service), Literal(release))
        )
    return history


def _guarded(conn: psycopg.Connection, schema: str, table: str) -> bool:
    row = conn.execute(
        f"SELECT {GUARDED} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %(schema)s AND c.relname = %(table)s",
        {"trigger": TRIGGER, "trigger_type": TRIGGER_TYPE, "schema": schema, "table": table},
    ).fetchone()
    return bool(row and row[0])


def _lock_timed_out(error: BaseException) -> bool:
    """Whether `error` (or what it wraps: eventsourcing's and SQLAlchemy's errors wrap
    psycopg's) is a lock not taken within lock_timeout."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if getattr(found, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return True
        orig = getattr(found, "orig", None)  # SQLAlchemy's DBAPIError
        found = orig if isinstance(orig, BaseException) else found.__cause__ or found.__context__
    return False


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def wait_for_database(
    conninfo: str,
    roles: list[str],
    timeout: float,
    interval: float = 2.0,
    report: Callable[[str], None] = lambda _: None,
) -> None:
    """Return once the database takes a connection with `conninfo` and every role in `roles`
    exists; raise MigrationError naming what was waited for after `timeout` seconds (0: one
    try). On a first install CloudNativePG is still making the cluster, the roles (a role's
    password reaches it a moment after the role) and the database when the Jobs start. Each
    new reason is reported once."""
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    while True:
        try:
            with psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_S) as conn:
                found = conn.execute(
                    "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (roles,)
                ).fetchall()
            missing = sorted(set(roles) - {r for (r,) in found})
            reason = f"role {', '.join(missing)} does not exist yet" if missing else ""
        except psycopg.OperationalError as e:
            reason = _first_line(e)
        if not reason:
            return
        if reason not in seen:
            seen.add(reason)
            report(reason)
        if time.monotonic() >= deadline:
            where = conninfo_to_dict(conninfo)
            raise MigrationError(
                f"the database {where.get('dbname', '?')} on {where.get('host', '?')} was not "
                f"ready for {where.get('user', '?')}"
                + (f" (and role {', '.join(roles)})" if roles else "")
                + f" after {timeout:g} s: {reason}"
            )
        time.sleep(interval)


def _ensure_role(conninfo: str, role: str, password: str | None) -> None:
    for attempt in range(ROLE_ATTEMPTS):
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                _ensure_role_once(conn, role, password)
            return
        except (psycopg.errors.DuplicateObject, psycopg.errors.InternalError):
            # two migrations at once (replicas, parallel tests) making or altering one role:
            # "tuple concurrently updated"; the next attempt finds it made
            if attempt == ROLE_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def _ensure_role_once(conn: psycopg.Connection, role: str, password: str | None) -> None:
    found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if found:
        if password is not None:  # locally: the password this checkout's services use
            conn.execute(
                SQL("ALTER ROLE {} PASSWORD {}").format(Identifier(role), Literal(password))
            )
        return
    if password is None:
        raise MigrationError(
            f"--writer: role {role} does not exist (in Kubernetes CloudNativePG makes it; "
            "locally give MAAG_POSTGRES_WRITER_PASSWORD and an owner with CREATEROLE)"
        )
    conn.execute(
        SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(Identifier(role), Literal(password))
    )
