"""PostgreSQL from Debian's packages, started on 127.0.0.1 with the project's role and database."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from maag.ops.infra.layout import InfraError, Layout
from maag.ops.infra.processes import port_open, wait_until

CLUSTER = "main"


def _as_root(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return cmd
    if shutil.which("sudo"):
        return ["sudo", "-n", *cmd]
    raise InfraError(
        f"`{' '.join(cmd)}` needs root and sudo is absent; run `maag infra up` as root, "
        "or start PostgreSQL yourself and set MAAG_POSTGRES_URL."
    )


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return ["sudo", "-n", "-u", "postgres", *cmd]


def _run(cmd: list[str], what: str) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise InfraError(
            f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def installed() -> bool:
    return shutil.which("pg_ctlcluster") is not None and Path("/etc/postgresql").exists()


def install(layout: Layout) -> None:
    if shutil.which("apt-get") is None:
        raise InfraError(
            "PostgreSQL is not installed and apt-get is absent: install PostgreSQL 15+ "
            "and start it on 127.0.0.1:5432, or set MAAG_POSTGRES_URL."
        )
    log = layout.logs / "postgres-install.log"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with log.open("w") as out:
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql"]):
            r = subprocess.run(
                _as_root(cmd), stdout=out, stderr=subprocess.STDOUT, env=env, check=False
            )
            if r.returncode != 0:
                raise InfraError(f"`{' '.join(cmd)}` failed (exit {r.returncode}); see {log}.")


def version() -> str:
    versions = sorted(
        (p.name for p in Path("/etc/postgresql").iterdir() if p.name.isdigit()), key=int
    )
    if not versions:
        raise InfraError(
            "No PostgreSQL cluster under /etc/postgresql; reinstall the postgresql package."
        )
    return versions[-1]


def started_file(layout: Layout) -> Path:
    return layout.run / "postgres.started"


def running() -> bool:
    if not installed():
        return False
    r = subprocess.run(
        ["pg_ctlcluster", version(), CLUSTER, "status"], capture_output=True, check=False
    )
    return r.returncode == 0


def check_can_start(layout: Layout) -> None:
    if installed() and running():
        return
    if port_open(layout.pg_port):
        raise InfraError(
            f"Port {layout.pg_port} on 127.0.0.1 is taken by a process that is not this "
            "machine's PostgreSQL cluster; stop it, or point MAAG_POSTGRES_URL at it."
        )
    if not installed():
        _as_root(["apt-get"])  # fails early with the fix when root is not available


def start(layout: Layout) -> bool:
    """Start the cluster if it is down; return True if this call started it."""
    if not installed():
        install(layout)
    started = False
    if not running():
        v = version()
        _run(_as_root(["pg_ctlcluster", v, CLUSTER, "start"]), "Starting PostgreSQL")
        started_file(layout).write_text(f"{v} {CLUSTER}\n")
        started = True
    wait_until(lambda: port_open(layout.pg_port), 60, "PostgreSQL", None)
    _ensure_connections(layout)
    _ensure_role_and_database(layout)
    return started


# Each running system holds about fifty connections (five processes, each with its store's
# and its read models' pools): the tests run two systems at once beside their own
# connections, and a benchmark may run beside them. Debian's default (100) is too few.
MAX_CONNECTIONS = 300


def _ensure_connections(layout: Layout) -> None:
    if int(_psql("SHOW max_connections").strip()) >= MAX_CONNECTIONS:
        return
    _psql(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
    v = version()
    _run(_as_root(["pg_ctlcluster", v, CLUSTER, "restart"]), "Restarting PostgreSQL")
    wait_until(lambda: port_open(layout.pg_port), 60, "PostgreSQL", None)


def _psql(sql: str) -> str:
    return _run(_as_postgres(["psql", "-v", "ON_ERROR_STOP=1", "-tAc", sql]), f"psql: {sql[:40]}")


def _ensure_role_and_database(layout: Layout) -> None:
    user, db, pw = layout.pg_user, layout.pg_database, layout.pg_password.replace("'", "''")
    if not _psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{user}'").strip():
        _psql(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{pw}'")
    # it owns the stores and makes the roles the services run as (`maag db migrate`), and,
    # as a local administrator, can dump every service's schema (its read models belong to
    # the service's role)
    _psql(f'ALTER ROLE "{user}" CREATEROLE')
    _psql(f'GRANT pg_read_all_data TO "{user}"')
    if not _psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'").strip():
        _psql(f'CREATE DATABASE "{db}" OWNER "{user}"')


def stop(layout: Layout) -> bool:
    """Stop the cluster only if `up` started it (recorded in the run folder)."""
    marker = started_file(layout)
    if not marker.exists():
        return False
    v, cluster = marker.read_text().split()
    marker.unlink()
    if running():
        _run(_as_root(["pg_ctlcluster", v, cluster, "stop"]), "Stopping PostgreSQL")
        return True
    return False
