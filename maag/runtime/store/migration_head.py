"""Whether a service's store is at this release's head: this release's migration has run on
it (its row in the store's RELEASES, written with the migration's last step) and everything
`maag db migrate` makes (maag.runtime.store.migrations) is there, as the role the service
runs as sees it.

In Kubernetes the migration is a Job run once per release, not a step of every pod's start.
A service's pod waits for it (`maag db wait`, its init container) because a service started
on a store its release's migration has not made goes wrong quietly: its chainer creates a
missing history table itself (`create_tables`, allowed to the role for its read models), so
the table would belong to the service's role, carry no append-only trigger, and the
migration could no longer add one. Tables alone are not enough: a store the previous
release migrated has them all, and a release's migration may add a column or a grant the
catalogue check cannot name, so the wait is for the release's own row. It only reads the
catalogue and that row: no DDL, and no lock on any table the services write.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
from psycopg.sql import SQL, Identifier

from maag.runtime.settings import Settings
from maag.runtime.store.migrations import (
    CONNECT_TIMEOUT_S,
    GUARDED,
    RELEASE,
    RELEASES,
    TRIGGER,
    TRIGGER_TYPE,
    MigrationError,
    history_tables,
)

# One row per history table, in the order given (a join's order is the planner's), as the
# connected role sees it: whether it exists, whether the append-only trigger is on it as the
# migration makes it, whether this role owns it (then it could drop the trigger), and
# whether it may insert and update.
_HISTORY = f"""
SELECT t.name, c.oid IS NOT NULL,
       c.oid IS NOT NULL AND {GUARDED},
       c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user),
       c.oid IS NOT NULL AND has_table_privilege(c.oid, 'INSERT'),
       c.oid IS NOT NULL AND has_table_privilege(c.oid, 'UPDATE')
FROM unnest(%(tables)s::text[]) WITH ORDINALITY AS t(name, place)
LEFT JOIN pg_namespace n ON n.nspname = %(schema)s
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
ORDER BY t.place
"""
# What this role may do to the releases' table besides reading it: then it could record a
# release no migration ran, or take a migration's record away (a rollback to a release that
# granted more, or the owner's mistake, would leave it so).
_RELEASE_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
# The releases' table: whether it is there, whether this role owns it, and each of
# _RELEASE_WRITES it may do.
_RELEASES = f"""
SELECT c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user),
       {", ".join(f"has_table_privilege(c.oid, '{w}')" for w in _RELEASE_WRITES)}
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relname = %(table)s
"""


def behind(settings: Settings, service: str, release: str = RELEASE) -> list[str]:
    """What `service`'s store lacks for `release`, one reason each (empty: at the head).
    Connects with `settings` (the service's own role) and reads the catalogue and the
    releases' rows only."""
    conninfo = settings.postgres_conninfo
    if conninfo is None:
        raise MigrationError("MAAG_POSTGRES_URL is not set: only a PostgreSQL store is migrated")
    schema = settings.eventsourcing_env(service)["POSTGRES_SCHEMA"]
    reasons = []
    with psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        rows = conn.execute(
            _HISTORY,
            {
                "trigger": TRIGGER,
                "trigger_type": TRIGGER_TYPE,
                "tables": history_tables(service),
                "schema": schema,
            },
        ).fetchall()
        table = conn.execute(_RELEASES, {"schema": schema, "table": RELEASES}).fetchone()
        migrated: list[str] = []
        if table is not None:
            migrated = [
                r
                for (r,) in conn.execute(
                    SQL("SELECT release FROM {}.{} WHERE service = %s ORDER BY migrated_at").format(
                        Identifier(schema), Identifier(RELEASES)
                    ),
                    (service,),
                ).fetchall()
            ]
    for table_name, exists, guarded, owned, inserts, updates in rows:
        where = f"{schema}.{table_name}"
        if not exists:
            reasons.append(f"{where} does not exist")
            continue
        if not guarded:
            reasons.append(f"{where} has no append-only trigger")
        if owned:
            reasons.append(f"{where} belongs to this role (it must be the owner's)")
        if not inserts:
            reasons.append(f"{where}: this role may not insert")
        if updates:
            reasons.append(f"{where}: this role may update its history")
    if table is not None and table[0]:
        reasons.append(f"{schema}.{RELEASES} belongs to this role (it must be the owner's)")
    elif table is not None:
        writes = [w for w, may in zip(_RELEASE_WRITES, table[1:], strict=True) if may]
        if writes:
            reasons.append(
                f"{schema}.{RELEASES}: this role may {', '.join(writes)} (it must only read it)"
            )
    if release not in migrated:
        last = f"the last was {migrated[-1]}'s" if migrated else "none has run"
        reasons.append(f"release {release}'s migration has not run on it ({last})")
    return reasons


def wait_for_head(
    settings: Settings,
    service: str,
    timeout: float,
    interval: float = 2.0,
    report: Callable[[str], None] = lambda _: None,
    release: str = RELEASE,
) -> None:
    """Return once `service`'s store is at `release`'s head; raise MigrationError with what it
    still lacks after `timeout` seconds. A database that does not answer yet (or a role not
    made yet) is waited for too. Each new reason is reported once."""
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    while True:
        try:
            reasons = behind(settings, service, release)
        except psycopg.Error as e:
            reasons = [f"the database does not answer yet: {type(e).__name__}"]
        if not reasons:
            return
        for reason in reasons:
            if reason not in seen:
                seen.add(reason)
                report(reason)
        if time.monotonic() >= deadline:
            raise MigrationError(
                f"{service}'s store is not at release {release}'s head after {timeout:g} s "
                f"(has its release's migration Job run?): {'; '.join(reasons)}"
            )
        time.sleep(interval)
