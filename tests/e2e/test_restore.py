"""A service's database restored from a backup taken mid-flow, while the other services run:
every case driven through after the restore completes exactly once.

The steps are the operator guide's (deploy/README.md, "Backup and restore"), as far as they
run without a cluster: stop the service; restore its store (here a `pg_dump` of its schema
restored with `pg_restore`, in place of CloudNativePG's recovery from the object store); its
release's migration; the wait its pods make for the store to be at the release's head (their
init container, `maag db wait`); start it; check that it began a new incarnation. Without the
producer's incarnation, the restored store hands out sequences again that consumers have
already recorded, and they skip its new events as republished ones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from maag.runtime.settings import Settings
from maag.runtime.store.migration_head import behind, wait_for_head
from maag.runtime.store.migrations import migrate, writer_env
from tests.support.flow import assert_each_case_once, decide, refer, wait_complete
from tests.support.keys import WRITER_PASSWORD
from tests.support.system import System

GONE_BACK = "a new incarnation of the store begins: it has gone back in time"


def _dump(system: System, service: str, to: Path) -> None:
    schema = system.schema_of(service)
    subprocess.run(
        ["pg_dump", f"--dbname={system.postgres_url}", "-n", schema, "-Fc", "-f", str(to)],
        check=True,
        capture_output=True,
    )


def _restore(system: System, service: str, dump: Path) -> None:
    with psycopg.connect(system.postgres_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(system.schema_of(service)))
        )
    subprocess.run(
        ["pg_restore", f"--dbname={system.postgres_url}", "--no-owner", str(dump)],
        check=True,
        capture_output=True,
    )


def _as_owner(system: System, service: str) -> Settings:
    return Settings(postgres_url=system.postgres_url, postgres_schema=system.schema_of(service))


def _as_service(system: System, service: str) -> Settings:
    """The settings its pod has: the role it runs as (tests.support.system's)."""
    env = writer_env(_as_owner(system, service), f"maag_test_{service}", WRITER_PASSWORD)
    return Settings.from_env({**env, "MAAG_POSTGRES_SCHEMA": system.schema_of(service)})


@pytest.mark.parametrize("service", ["referral", "panel", "commissioning", "notifications"])
def test_a_service_restored_from_a_backup_loses_nothing_made_after(
    system: System, service: str, tmp_path: Path
) -> None:
    client = system.client(timeout=120)
    client.ready()
    before = refer(client, 2)
    decide(client, before)
    wait_complete(system.mail, before)
    backup = tmp_path / f"{service}.dump"
    _dump(system, service, backup)  # mid-flow: the others go on

    # what the restored store will not remember: enough that its reused sequences land on
    # every partition consumers read
    forgotten = refer(client, 6, start=2)
    decide(client, forgotten)
    wait_complete(system.mail, forgotten)

    # 1. stop the service
    system.kill(service)
    # 2-3. its store as it was at the backup
    _restore(system, service, backup)
    # 4. the release's migration, run again (the store may predate it): it finds its tables
    # made and changes nothing; then what each pod's init container waits for holds
    migrate(_as_owner(system, service), service, f"maag_test_{service}", WRITER_PASSWORD)
    assert behind(_as_service(system, service), service) == []
    wait_for_head(_as_service(system, service), service, timeout=10)
    # 5. start it (`start_service` migrates again, as a local run does: it changes nothing)
    system.start_service(service)
    client.ready()  # it is back (after its start-up check of what it published)

    after = refer(client, 3, start=8)
    decide(client, after)
    wait_complete(system.mail, after)
    assert_each_case_once(client, system.mail, after)
    # 6. the check: it began a new incarnation, having gone back in time
    assert GONE_BACK in (system.tmp / f"{service}.log").read_text(errors="replace")
