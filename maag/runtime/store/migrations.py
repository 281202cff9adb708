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
  A release is the version and the build (RELEASE: `0.1.0+<hash of this module>`), so a
  build whose migration changed is a new release even when nobody bumped the version.

Two migrations of one store at once (a Job retried while its first pod still runs, two
releases applied close together) take turns: each takes an advisory lock on the service
first. An older release's migration run after a newer one's (a rollback) records its row and
changes nothing: it would take back what the newer one granted or guarded.

Run again (the next release, a Job re-created), it changes only what is missing: a trigger
already in place is left alone, so a re-run takes no lock that stops the services' writes
beyond the SHARE lock eventsourcing's `CREATE INDEX IF NOT EXISTS` takes for an instant.
Every lock is waited for at most LOCK_TIMEOUT, on every connection the migration opens (its
own, the event store library's and the read models'), and the migration tries again, up to
LOCK_ATTEMPTS times, rather than queue the writes behind it.

A service started with MAAG_STORE_MIGRATED=true then creates none of its store's tables.
tests/integration/platform/test_store_privileges.py proves the writer cannot change its
history and that a service runs as it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresProcessRecorder
from packaging.version import InvalidVersion, Version
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier, Literal
from sqlalchemy import event

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
# writes that arrive meanwhile queue behind it, so never long. Set by migrate() on every
# connection it makes, whoever runs it (the Job, a developer, the tests).
LOCK_TIMEOUT = "2s"
LOCK_ATTEMPTS = 10
CONNECT_TIMEOUT_S = 5
# The longest one attempt takes once it has its locks: a few tables, triggers and grants take
# seconds; the rest of it is for a slow database.
ATTEMPT_S = 30
# The longest pause between two attempts (each pause doubles from half a second up to it).
RETRY_PAUSE_MAX_S = 10.0
# What makes the migration try again rather than fail (PostgreSQL's SQLSTATEs): a lock not
# taken within lock_timeout, a deadlock with a service's write, and "tuple concurrently
# updated" (two sessions changing one catalogue row: a grant, a trigger, a role).
_RETRIED = {"55P03", "40P01", "XX000"}
# The advisory lock two migrations of one service's store take turns on.
_TURN = "maag-migrate:"


class MigrationError(RuntimeError):
    pass


def _version() -> str:
    """This code's version: pyproject.toml's in a checkout (where the manifests are rendered
    and the tests run), the installed package's elsewhere (the image)."""
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    if pyproject.is_file():
        version: str = tomllib.loads(pyproject.read_text())["project"]["version"]
        return version
    return importlib.metadata.version("maag")


def build_identity(source: bytes) -> str:
    """A build of the migration: the hash of this module's text, the same in a checkout and
    in the image built from it (installed from the wheel, byte for byte), with no git needed
    in either."""
    return hashlib.sha256(source).hexdigest()[:12]


def release_of(version: str, build: str) -> str:
    """`<version>+<build>`, the version normalised (PEP 440: `v0.1` and `0.1` are one
    release), the build its local label."""
    return str(Version(f"{Version(version).public}+{build}"))


BUILD = build_identity(Path(__file__).read_bytes())
RELEASE = release_of(_version(), BUILD)


def newer_than(releases: list[str], release: str) -> list[str]:
    """The releases in `releases` whose version is above `release`'s (builds of one version
    are not ordered: the latest migration wins). A row no version parses is not newer."""
    mine = Version(release).public
    newer = []
    for r in releases:
        try:
            if Version(Version(r).public) > Version(mine):
                newer.append(r)
        except InvalidVersion:
            continue
    return newer


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
    Version(release)  # a release no version parses could never be ordered (the guard below)
    conninfo = settings.postgres_conninfo or ""
    wait_for_database(
        conninfo, [] if writer_password is not None else [writer], timeout, report=report
    )
    with _lock_timeout_everywhere():
        for attempt in range(LOCK_ATTEMPTS):
            try:
                return _migrate(settings, service, writer, writer_password, release, report)
            except Exception as e:
                code = _retried(e)
                if code is None:
                    raise
                if attempt == LOCK_ATTEMPTS - 1:
                    raise MigrationError(
                        f"{service}: the migration met {_what(code)}, {LOCK_ATTEMPTS} times "
                        f"(a long transaction on the store?): {_first_line(e)}"
                    ) from e
                report(f"{_what(code)}; trying again")
                time.sleep(min(0.5 * 2**attempt, RETRY_PAUSE_MAX_S))
    raise AssertionError("unreachable")


def retry_budget_s() -> float:
    """The longest a migration runs once the database answers: every attempt to its end (its
    statements each wait at most LOCK_TIMEOUT for a lock), and the pauses between them. The
    migration Job's deadline is sized from it (maag.ops.deployment)."""
    pauses = sum(min(0.5 * 2.0**a, RETRY_PAUSE_MAX_S) for a in range(LOCK_ATTEMPTS - 1))
    return float(pauses + LOCK_ATTEMPTS * ATTEMPT_S)


def _seconds(duration: str) -> float:
    """PostgreSQL's `2s` or `200ms` in seconds."""
    if duration.endswith("ms"):
        return float(duration.removesuffix("ms")) / 1000
    return float(duration.removesuffix("s"))


_WHAT = {
    "55P03": "a lock not free within the lock timeout (LOCK_TIMEOUT)",
    "40P01": "a deadlock with another transaction",
    "XX000": "a catalogue row changed by another session at once",
}


def _what(code: str) -> str:
    return _WHAT[code].replace("the lock timeout (LOCK_TIMEOUT)", LOCK_TIMEOUT)


_ENV = threading.Lock()
_ENV_USERS = 0
_ENV_SAVED: str | None = None


def _pg_options() -> str:
    return f"-c lock_timeout={LOCK_TIMEOUT}"


@contextmanager
def _lock_timeout_everywhere() -> Iterator[None]:
    """LOCK_TIMEOUT for every libpq connection made meanwhile without options of its own (the
    event store library's pool, the schema's creation): libpq reads PGOPTIONS when it
    connects. Counted, so that migrations in threads leave it set until the last ends."""
    global _ENV_USERS, _ENV_SAVED
    with _ENV:
        if _ENV_USERS == 0:
            _ENV_SAVED = os.environ.get("PGOPTIONS")
            os.environ["PGOPTIONS"] = f"{_ENV_SAVED or ''} {_pg_options()}".strip()
        _ENV_USERS += 1
    try:
        yield
    finally:
        with _ENV:
            _ENV_USERS -= 1
            if _ENV_USERS == 0:
                if _ENV_SAVED is None:
                    os.environ.pop("PGOPTIONS", None)
                else:
                    os.environ["PGOPTIONS"] = _ENV_SAVED


def _connect(conninfo: str, **kwargs: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(
        conninfo, connect_timeout=CONNECT_TIMEOUT_S, options=_pg_options(), **kwargs
    )


@contextmanager
def _turn(conninfo: str, service: str) -> Iterator[None]:
    """The service's migration turn for as long as the block runs (a session advisory lock,
    waited for at most LOCK_TIMEOUT: a migration that does not get it tries again)."""
    with _connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (_TURN + service,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (_TURN + service,))


def _migrate(
    settings: Settings,
    service: str,
    writer: str,
    writer_password: str | None,
    release: str,
    report: Callable[[str], None],
) -> list[str]:
    conninfo = settings.postgres_conninfo or ""
    with _turn(conninfo, service):  # the libraries' CREATE ... IF NOT EXISTS, one at a time
        store_class = type(f"{service.capitalize()}Store", (ServiceApplication,), {"name": service})
        store = store_class(settings)
        try:
            recorder = store.recorder
            assert isinstance(recorder, PostgresProcessRecorder)  # a PostgreSQL URL was given
            schema = recorder.datastore.schema
            events = recorder.events_table_name
            tracking = recorder.tracking_table_name
        finally:
            store.close()
        engine = read_model_engine(settings, service)
        # its own `options` (the search path) make libpq ignore PGOPTIONS: set it per session
        event.listen(engine, "connect", _set_lock_timeout)
        try:
            for made in (chain_table(service), cases_table(service)):
                create_tables(made.metadata, engine)
        finally:
            engine.dispose()
    history = history_tables(service)
    if history[0] != events:  # the wait for the migration looks for the name declared here
        raise MigrationError(f"eventsourcing named {service}'s events table {events}")
    _ensure_role(conninfo, writer, writer_password)
    # One transaction (psycopg commits at the block's end): the release's row is there only if
    # everything before it is.
    with _connect(conninfo) as conn:
        # first: the other migrations of this store wait (at most LOCK_TIMEOUT) until it ends
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (_TURN + service,))
        s = Identifier(schema)
        w = Identifier(writer)
        releases = SQL("{}.{}").format(s, Identifier(RELEASES))
        conn.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (service text NOT NULL, release text NOT NULL, "
                "migrated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (service, release))"
            ).format(releases)
        )
        recorded = SQL(
            "INSERT INTO {} (service, release) VALUES ({}, {}) "
            "ON CONFLICT (service, release) DO UPDATE SET migrated_at = now()"
        ).format(releases, Literal(service), Literal(release))
        rows = conn.execute(
            SQL("SELECT release FROM {} WHERE service = %s").format(releases), (service,)
        ).fetchall()
        newer = newer_than([r for (r,) in rows], release)
        if newer:
            # a rollback's migration: what it would grant, revoke or guard is the newer
            # release's to say; its pods (back on this release) find their row
            conn.execute(recorded)
            report(
                f"release {', '.join(sorted(newer))} already migrated this store: "
                f"{release} recorded, nothing changed"
            )
            return history
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
        # after the grant on all tables above: the record is read-only to the writer
        conn.execute(SQL("REVOKE ALL ON {} FROM {}").format(releases, w))
        conn.execute(SQL("GRANT SELECT ON {} TO {}").format(releases, w))
        conn.execute(recorded)
    return history


def _set_lock_timeout(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{_seconds(LOCK_TIMEOUT) * 1000:g}ms'")
    dbapi_connection.commit()


def _guarded(conn: psycopg.Connection, schema: str, table: str) -> bool:
    row = conn.execute(
        f"SELECT {GUARDED} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %(schema)s AND c.relname = %(table)s",
        {"trigger": TRIGGER, "trigger_type": TRIGGER_TYPE, "schema": schema, "table": table},
    ).fetchone()
    return bool(row and row[0])


def _retried(error: BaseException) -> str | None:
    """The SQLSTATE of `error` (or of what it wraps: eventsourcing's and SQLAlchemy's errors
    wrap psycopg's) when it is one the migration tries again after."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        code = getattr(found, "sqlstate", None)
        if code in _RETRIED:
            return str(code)
        orig = getattr(found, "orig", None)  # SQLAlchemy's DBAPIError
        found = orig if isinstance(orig, BaseException) else found.__cause__ or found.__context__
    return None


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
            with _connect(conninfo, autocommit=True) as conn:
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
