"""A broker or a database of a test's own, for the tests that restart them: restarting the
shared ones would disturb the tests running beside them.

The broker is the project's local Kafka (`maag.ops.infra.kafka`, the cached jars) on free
ports; the database is a PostgreSQL cluster of its own made with Debian's
`pg_createcluster` (needs root or passwordless sudo, as `maag infra up` does).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from maag.ops.infra import kafka, postgres
from maag.ops.infra.layout import InfraError, Layout
from maag.ops.infra.processes import port_open, wait_until
from tests.support.net import free_port


@dataclass
class PrivateKafka:
    layout: Layout

    @property
    def bootstrap(self) -> str:
        return self.layout.kafka_bootstrap

    def kill(self, node: int = 1) -> None:
        """SIGKILL: the broker gets no chance to close cleanly."""
        pid = kafka.running(self.layout, node)
        assert pid is not None, f"the private broker {node} is not running"
        os.kill(pid, signal.SIGKILL)
        port = self.layout.broker_port(node)
        wait_until(lambda: not port_open(port), 30, "broker gone", None)

    def start(self, node: int | None = None) -> None:
        """Every node, or one node again (the others running)."""
        if node is None:
            kafka.start(self.layout)
        else:
            kafka.wait_ready(self.layout, kafka.launch(self.layout, node))


def _free_block(brokers: int) -> tuple[int, int]:
    """Client and controller ports for every node (each 100 above the one before)."""
    for _ in range(20):
        port, controller = free_port(), free_port()
        wanted = [p + 100 * i for p in (port, controller) for i in range(brokers)]
        if max(wanted) < 65536 and not any(port_open(p) for p in wanted):
            return port, controller
    raise InfraError("no free block of ports for a private Kafka cluster")


@contextmanager
def private_kafka(tmp: Path, brokers: int = 1) -> Iterator[PrivateKafka]:
    shared = Layout.from_env()
    home = tmp / "kafka-home"
    home.mkdir(parents=True)
    shared.cache.mkdir(parents=True, exist_ok=True)
    (home / "cache").symlink_to(shared.cache)  # the jars already fetched
    port, controller = _free_block(brokers)
    layout = replace(
        shared,
        home=home,
        kafka_port=port,
        kafka_controller_port=controller,
        kafka_brokers=brokers,
    )
    layout.ensure_dirs()
    broker = PrivateKafka(layout)
    try:
        broker.start()
    except InfraError as e:
        pytest.fail(f"could not start a private Kafka broker: {e}")
    try:
        yield broker
    finally:
        kafka.stop(layout)


@dataclass
class PrivatePostgres:
    version: str
    cluster: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://maag:maag@127.0.0.1:{self.port}/maag"

    def ctl(self, action: str) -> None:
        cmd = ["pg_ctlcluster", self.version, self.cluster, action]
        if action == "stop":
            cmd += ["--mode", "immediate"]  # as after a crash: no clean shutdown
        subprocess.run(postgres._as_root(cmd), check=True, capture_output=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    if not postgres.installed():
        pytest.fail("PostgreSQL from Debian is needed: run `deploy/local/infra.sh up` first")
    version = postgres.version()
    db = PrivatePostgres(version, f"maagtest{free_port()}", free_port())
    try:
        subprocess.run(
            postgres._as_root(
                ["pg_createcluster", version, db.cluster, "-p", str(db.port), "--start"]
            ),
            check=True,
            capture_output=True,
        )
        for sql in (
            # as `maag infra up` makes it: it owns the stores and makes the services' roles
            "CREATE ROLE maag LOGIN CREATEROLE PASSWORD 'maag'",
            "CREATE DATABASE maag OWNER maag",
        ):
            subprocess.run(
                postgres._as_postgres(
                    ["psql", "-p", str(db.port), "-v", "ON_ERROR_STOP=1", "-c", sql]
                ),
                check=True,
                capture_output=True,
            )
    except (subprocess.CalledProcessError, InfraError) as e:
        detail = getattr(e, "stderr", b"") or b""
        pytest.fail(f"could not create a private PostgreSQL cluster: {e} {detail!r}")
    try:
        yield db
    finally:
        subprocess.run(
            postgres._as_root(["pg_dropcluster", "--stop", version, db.cluster]),
            check=False,
            capture_output=True,
        )
