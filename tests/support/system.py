"""The whole system as separate processes (the mailbox and the four services, each
service in a schema of its own, as in production) on the real broker and database."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from maag.ops.demo.client import Client
from maag.ops.identity.realm import local_web_env
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from maag.runtime.store.migrations import migrate, writer_env
from maag.services import SPECS
from tests.support import identity
from tests.support.keys import CHAIN_KEY_TEXT, WRITER_PASSWORD
from tests.support.net import free_port
from tests.support.referral import CHILD_INDEX_KEYS_TEXT, CIPHER_KEY, KEKS_TEXT

SERVICES = tuple(SPECS)


class System:
    def __init__(
        self,
        tmp: Path,
        bootstrap: str,
        postgres_url: str,
        schema: str,
        prefix: str,
        command: Sequence[str] = (sys.executable, "-m", "maag.ops.cli"),
        cwd: Path | None = None,
    ) -> None:
        self.tmp = tmp
        # how a process is started: this checkout's code, or an installed `maag` elsewhere
        self.command = list(command)
        self.cwd = cwd
        self.ports = {
            name: free_port()
            for name in ("referral", "panel", "commissioning", "notifications", "smtp", "web")
        }
        self.mail = tmp / "mail"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MAAG_")},
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "MAAG_POSTGRES_URL": postgres_url,
            "MAAG_POSTGRES_SCHEMA": schema,
            "MAAG_TOPIC_PREFIX": prefix,
            "MAAG_CIPHER_KEY": CIPHER_KEY,
            "MAAG_CHAIN_KEY": CHAIN_KEY_TEXT,
            "MAAG_KEY_ENCRYPTION_KEYS": KEKS_TEXT,
            "MAAG_CHILD_INDEX_KEYS": CHILD_INDEX_KEYS_TEXT,
            "MAAG_OIDC_ISSUER": identity.current().issuer,
            "MAAG_LOG_FORMAT": "json",
            "MAAG_SMTP_PORT": str(self.ports["smtp"]),
            "MAAG_QUORUM_OTHER_AGENCIES": "3",
            "MAAG_WEB_BASE_URL": f"http://127.0.0.1:{self.ports['web']}",
            "MAAG_SERVICE_URLS": ",".join(
                f"{name}=http://127.0.0.1:{self.ports[name]}" for name in SERVICES
            ),
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.schema = schema
        self.postgres_url = postgres_url

    def start(self) -> None:
        self.start_mailbox()
        for name in SERVICES:
            self.start_service(name)
        self.start_web()

    def start_web(self, replica: str = "web") -> None:
        """The web app, signing people in at the test's Keycloak (its address must be one of
        the maag-web client's redirect URIs: `identity.allow_web_origin`); another `replica`
        (a name of its own) listens on a port of its own and shares the sessions."""
        port = self.ports.setdefault(replica, free_port())
        self._spawn(
            replica,
            ["serve", "web"],
            {
                **local_web_env(),
                "MAAG_WEB_PORT": str(port),
                # its sessions in a schema of its own: a restart signs nobody out
                "MAAG_POSTGRES_SCHEMA": self.schema_of("web"),
                "MAAG_WEB_SESSION_SECRET": f"{self.schema}-sessions",
            },
        )

    def start_mailbox(self) -> None:
        self._spawn(
            "mailbox",
            ["mailbox", "serve", "--port", str(self.ports["smtp"]), "--directory", str(self.mail)],
        )

    def start_service(self, name: str) -> None:
        """Its store made by the owner (`maag db migrate`, as its release's migration Job
        does in Kubernetes), and the service run as a role that may not change its history."""
        store = Settings(postgres_url=self.postgres_url, postgres_schema=self.schema_of(name))
        role = f"maag_test_{name}"
        migrate(store, name, role, WRITER_PASSWORD)
        self._spawn(  # each in a schema of its own, as in production
            name,
            ["serve", name],
            {
                **writer_env(store, role, WRITER_PASSWORD),
                "MAAG_HTTP_PORT": str(self.ports[name]),
                "MAAG_POSTGRES_SCHEMA": self.schema_of(name),
            },
        )

    def schema_of(self, name: str) -> str:
        return f"{self.schema}_{name}"

    def stop_service(self, name: str) -> None:
        """SIGTERM, as Kubernetes stops a pod: the service finishes, and anchors its chain."""
        proc = self.procs.pop(name)
        proc.terminate()
        proc.wait(timeout=60)

    def kill(self, name: str) -> None:
        """kill -9: no clean shutdown, nothing flushed."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def _spawn(self, name: str, args: list[str], extra: dict[str, str] | None = None) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [*self.command, *args],
            cwd=self.cwd,
            env={**self.env, **(extra or {})},
            stdout=log,
            stderr=log,
        )

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def client(self, timeout: float = 60.0) -> Client:
        return Client(
            {name: self.url(name) for name in SERVICES},
            identity.keycloak_tokens(),
            timeout=timeout,
        )

    def stop(self) -> None:
        """SIGTERM to every process, SIGKILL to one that has not ended in 30 s; its schemas
        dropped whatever happened (a slow stop leaves no store behind)."""
        try:
            for p in self.procs.values():
                p.terminate()
            for p in self.procs.values():
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=30)
        finally:
            self.procs.clear()
            self._drop()

    def _drop(self) -> None:
        with psycopg.connect(self.postgres_url, autocommit=True) as conn:
            if dump := os.environ.get("MAAG_TEST_DUMP_STORE"):
                self.dump_store(conn, Path(dump))
            for name in (*SERVICES, "web"):
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                        sql.Identifier(self.schema_of(name))
                    )
                )

    def dump_store(self, conn: psycopg.Connection[Any], into: Path) -> None:
        """Append each service's stored events, as stored, to `into`: the store a later
        release must read (`tests/unit/test_previous_release_store.py`)."""
        with into.open("a") as out:
            for name in SERVICES:
                schema = self.schema_of(name)
                tables = conn.execute(
                    "SELECT table_name FROM information_schema.columns WHERE table_schema = %s"
                    " AND column_name = 'originator_id' AND table_name LIKE %s",
                    (schema, "%events"),
                ).fetchall()
                for (table,) in tables:
                    stored = conn.execute(
                        sql.SQL(
                            "SELECT originator_id, originator_version, topic, state FROM {}.{}"
                            " ORDER BY notification_id"
                        ).format(sql.Identifier(schema), sql.Identifier(table))
                    )
                    for originator_id, version, topic, state in stored:
                        row = {
                            "cipher_key": CIPHER_KEY,
                            "store": self.schema,
                            "service": name,
                            "table": table,
                            "originator_id": str(originator_id),
                            "originator_version": version,
                            "topic": topic,
                            "state": base64.b64encode(bytes(state)).decode(),
                        }
                        out.write(json.dumps(row) + "\n")

    def logs(self) -> str:
        return "".join(f.read_text(errors="replace") for f in self.tmp.glob("*.log"))


@contextmanager
def running_system(
    tmp: Path, bootstrap: str, postgres_url: str, schema: str, prefix: str
) -> Iterator[System]:
    asyncio.run(kafka.ensure_topics(bootstrap, prefix))
    system = System(tmp, bootstrap, postgres_url, schema, prefix)
    try:
        system.start()  # inside: a start that fails half way stops what it had started
        yield system
    finally:
        system.stop()
