"""What the service benchmarks share: a watcher on an outbound topic, a service process,
percentiles."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer
from psycopg import sql

from tests.support.system import System, running_system


class Watcher:
    """Notes when the first record of `ce_type` for each key reaches `topic`."""

    def __init__(self, bootstrap: str, topic: str, ce_type: str) -> None:
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.ce_type = ce_type.encode()
        self.seen: dict[str, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        await self.consumer.start()
        try:
            while not stop.is_set():
                for records in (await self.consumer.getmany(timeout_ms=100)).values():
                    now = time.perf_counter()
                    for r in records:
                        if dict(r.headers).get("ce_type") == self.ce_type and r.key:
                            self.seen.setdefault(r.key.decode(), now)
        finally:
            await self.consumer.stop()

    async def wait_for(self, keys: set[str], timeout: float = 300) -> None:
        deadline = time.perf_counter() + timeout
        while not keys <= self.seen.keys():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{len(keys - self.seen.keys())} never arrived")
            await asyncio.sleep(0.02)


def percentiles(latencies_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies_ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def start_service(name: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "maag.ops.cli", "serve", name],
        env={**os.environ, **env, "MAAG_HTTP_PORT": str(port), "MAAG_LOG_FORMAT": "json"},
        stderr=subprocess.DEVNULL,
    )


async def wait_ready(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(300):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)  # the service's consumer joins its group


@dataclass(frozen=True)
class Run:
    bootstrap: str
    postgres_url: str
    schema: str
    prefix: str


@asynccontextmanager
async def running_service(
    name: str, port: int, env: dict[str, str] | None = None
) -> AsyncIterator[Run]:
    """The service in its own process on the broker and database the environment names, in a
    fresh schema and topic prefix; stopped and its schema dropped afterwards."""
    from maag.runtime.messaging import kafka

    tag = uuid.uuid4().hex[:8]
    run = Run(
        os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        os.environ["MAAG_POSTGRES_URL"],
        f"bench_{name}_{tag}",
        f"bench.{tag}.",
    )
    from tests.support.keys import CHAIN_KEY_TEXT
    from tests.support.referral import CHILD_INDEX_KEYS_TEXT, KEKS_TEXT

    await kafka.ensure_topics(run.bootstrap, run.prefix)
    with psycopg.connect(run.postgres_url, autocommit=True) as conn:  # as `maag db migrate` does
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(run.schema)))
    service = start_service(
        name,
        port,
        {
            "MAAG_POSTGRES_SCHEMA": run.schema,
            "MAAG_TOPIC_PREFIX": run.prefix,
            # the keys every service now needs (throwaway ones, as the tests use)
            "MAAG_CHAIN_KEY": CHAIN_KEY_TEXT,
            "MAAG_KEY_ENCRYPTION_KEYS": KEKS_TEXT,
            "MAAG_CHILD_INDEX_KEYS": CHILD_INDEX_KEYS_TEXT,
            **(env or {}),
        },
    )
    try:
        await wait_ready(port)
        yield run
    finally:
        service.terminate()
        service.wait(timeout=30)
        with psycopg.connect(run.postgres_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(run.schema))
            )


def identity() -> Any:
    """Tokens from the real identity provider (MAAG_OIDC_ISSUER), as the tests get them."""
    from tests.support import identity as test_identity

    found = test_identity.keycloak()
    if found is None:
        raise SystemExit(f"MAAG_OIDC_ISSUER is unset. {test_identity.KEYCLOAK_HINT}")
    return test_identity.using(found)


@contextmanager
def whole_system(name: str) -> Iterator[System]:
    """Every process of the system, in schemas and topics of this run's own (`name`: the
    benchmark's), against KAFKA_BOOTSTRAP_SERVERS and MAAG_POSTGRES_URL."""
    run = uuid.uuid4().hex[:8]
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_system(
            Path(tmp),
            os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            os.environ["MAAG_POSTGRES_URL"],
            f"bench_{name}_{run}",
            f"bench.{run}.",
        ) as system,
    ):
        yield system
