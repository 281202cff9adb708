"""A service's store made by an owner role, and handed to the role the service runs as with
only what it needs: its history (events, hash chain, case index) append-only.

`maag db migrate SERVICE --writer ROLE`, run with the owner's credentials (locally the
`maag` role; in Kubernetes the service's `<service>_owner` role, from the release's
migration Job: no service pod holds the owner's password), creates the store's tables and
then:
- a statement trigger on each history table refuses UPDATE, DELETE and TRUNCATE, whoever
  asks (the tables' owner included, until someone drops the trigger as the owner);
- the writer may SELECT and INSERT on them, and has no UPDATE or DELETE. It is granted
  TRUNCATE on the events table only because eventsourcing serialises its inserts with
  `LOCK TABLE ... IN EXCLUSIVE MODE`, which PostgreSQL allows only to a role with UPDATE,
  DELETE or TRUNCATE; the trigger refuses the TRUNCATE itself;
- the writer may create tables in the schema (its read models, which it rebuilds), may
  change any other table there (read models restored from a dump belong to the restorer),
  and may update its tracking rows (eventsourcing's positions are upserted).

A service started with MAAG_STORE_MIGRATED=true then creates none of its store's tables.
tests/integration/platform/test_store_privileges.py proves the writer cannot change its
history and that a service runs as it.
"""

from __future__ import annotations

import re
import time

import psycopg
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg.sql import SQL, Identifier, Literal

from maag.runtime.evidence.case_index import cases_table
from maag.runtime.evidence.chain import chain_table
from maag.runtime.follow.projection import create_tables, read_model_engine
from maag.runtime.settings import Settings, postgres_env
from maag.runtime.store.application import ServiceApplication

TRIGGER = "maag_append_only"
ROLE_ATTEMPTS = 5
ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class MigrationError(RuntimeError):
    pass


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
    settings: Settings, service: str, writer: str, writer_password: str | None = None
) -> list[str]:
    """Make `service`'s store as the owner (settings' role) and grant `writer` its part.
    With `writer_password` (locally), the writer role is created, or given that password,
    (the owner needs CREATEROLE); without, it must exist (CloudNativePG makes it). Returns
    the history tables made append-only."""
    if settings.postgres_url is None:
        raise MigrationError("MAAG_POSTGRES_URL is not set: only a PostgreSQL store is migrated")
    if not ROLE.match(writer):
        raise MigrationError(f"--writer: {writer!r} is not a plain role name ([a-z_][a-z0-9_]*)")
    owner = postgres_env(settings.postgres_url, settings.postgres_password)
    if writer == owner["POSTGRES_USER"]:
        raise MigrationError("--writer: the service must not run as the store's owner")
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
    with psycopg.connect(conninfo) as conn:
        s = Identifier(schema)
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
                s, Identifier(writer)
            )
        )
        for table in history:
            t = SQL("{}.{}").format(s, Identifier(table))
            conn.execute(SQL("DROP TRIGGER IF EXISTS {} ON {}").format(Identifier(TRIGGER), t))
            conn.execute(
                SQL(
                    "CREATE TRIGGER {} BEFORE UPDATE OR DELETE OR TRUNCATE ON {} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION {}.{}()"
                ).format(Identifier(TRIGGER), t, s, Identifier(TRIGGER))
            )
            conn.execute(SQL("REVOKE ALL ON {} FROM {}").format(t, Identifier(writer)))
            conn.execute(SQL("GRANT SELECT, INSERT ON {} TO {}").format(t, Identifier(writer)))
        w = Identifier(writer)
        conn.execute(SQL("GRANT TRUNCATE ON {}.{} TO {}").format(s, Identifier(events), w))
        conn.execute(
            SQL("GRANT SELECT, INSERT, UPDATE ON {}.{} TO {}").format(s, Identifier(tracking), w)
        )
        conn.execute(SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(s, w))
        conn.execute(SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, w))
    return history


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
