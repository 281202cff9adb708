"""A service's database restored from a backup taken mid-flow, while the other services run:
every case driven through after the restore completes exactly once.

The backup is a `pg_dump` of the service's schema, restored with `pg_restore` after the
service is stopped (as the operator guide's restore does: stop, restore, start). Without the
producer's incarnation, the restored store hands out sequences again that consumers have
already recorded, and they skip its new events as republished ones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.support.flow import assert_each_case_once, decide, refer, wait_complete
from tests.support.system import System


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

    system.kill(service)
    _restore(system, service, backup)
    system.start_service(service)
    client.ready()  # it is back (after its start-up check of what it published)

    after = refer(client, 3, start=8)
    decide(client, after)
    wait_complete(system.mail, after)
    assert_each_case_once(client, system.mail, after)
