"""What the service benchmarks share: a watcher on an outbound topic, a service process,
percentiles, and stopping what a benchmark started when it is stopped itself."""

from __future__ import annotations

import asyncio
import os
import signal
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
from types import FrameType
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer
from psycopg import sql

if TYPE_CHECKING:  # imported where used: `python -m bench readme` should not pay for it
    from tests.support.system import System


def stop_on_signals() -> None:
    """SIGTERM raises SystemExit in the main thread, as Ctrl-C (SIGINT) raises
    KeyboardInterrupt: either way every `finally` and context manager on the way out runs,
    so the service processes a benchmark started are stopped and its schemas dropped (the
    default SIGTERM would end the process at once and leave them running). A second signal
    while stopping is ignored, so the clean-up is not cut short half way."""
    stopping = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        name = signal.Signals(signum).name
        print(f"bench: {name}: stopping what this benchmark started", file=sys.stderr)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def stop(process: subprocess.Popen[bytes], what: str, grace: float = 30.0) -> None:
    """SIGTERM, then up to `grace` seconds for it to end; past that, SIGKILL and an error
    naming it (never a silent leftover)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        raise TimeoutError(
            f"{what} (pid {process.pid}) did not stop within {grace:g} s of SIGTERM: killed"
        ) from None


@contextmanager
def stopped(
    process: subprocess.Popen[bytes], what: str, grace: float = 30.0
) -> Iterator[subprocess.Popen[bytes]]:
    """`process`, stopped (`stop`) however the block ends: an error, SIGTERM, Ctrl-C."""
    try:
        yield process
    finally:
        stop(process, what, grace)


class Watcher:
    """Notes when the first record of `ce_type` for each key reaches `topic`."""

    def __init__(self, bootstrap: str, topic: str, ce_type: str) -> None:
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.topic = topic
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
        """Until a record of the type has reached the topic for every key; at `timeout`, an
        error naming the type, the topic, how many are missing and one of them."""
        deadline = time.perf_counter() + timeout
        while not keys <= self.seen.keys():
            if time.perf_counter() > deadline:
                missing = keys - self.seen.keys()
                raise TimeoutError(
                    f"waited {timeout:g} s for {self.ce_type.decode()} on {self.topic}: "
                    f"{len(missing)} of {len(keys)} never arrived (one: {min(missing)})"
                )
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


async def wait_ready(
    port: int,
    what: str = "the service",
    process: subprocess.Popen[bytes] | None = None,
    timeout: float = 60.0,
) -> None:
    """Until `/readyz` on `port` answers 200; an error naming `what` and its last answer
    at `timeout`, or at once when `process` (the service) has ended."""
    last = "no answer"
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        while True:
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"{what} ended (exit code {process.returncode}) before it was ready"
                )
            try:
                r = await client.get("/readyz")
                if r.status_code == 200:
                    break
                last = f"{r.status_code} {r.text[:200]}"
            except httpx.TransportError as e:
                last = f"{type(e).__name__}: {e}"
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{what} on port {port} was not ready within {timeout:g} s "
                    f"(last answer to /readyz: {last})"
                )
            await asyncio.sleep(0.1)
    # The service's consumer joins its group meanwhile (it reads from the earliest offset, so
    # nothing is missed; this keeps the join out of the timings). The broker cannot be asked
    # instead: aiokafka 0.14 fails to decode Kafka 4.1's DescribeGroups answer.
    await asyncio.sleep(2.0)


@dataclass(frozen=True)
class Run:
    bootstrap: str
    postgres_url: str
    schema: str
    prefix: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@asynccontextmanager
async def running_service(name: str, env: dict[str, str] | None = None) -> AsyncIterator[Run]:
    """The service in its own process on the broker and database the environment names, in a
    fresh schema and topic prefix, on a free port (a fixed one could be another run's, whose
    /readyz would answer for it); stopped and its schema dropped afterwards."""
    from maag.runtime.messaging import kafka
    from tests.support.keys import CHAIN_KEY_TEXT
    from tests.support.net import free_port
    from tests.support.referral import CHILD_INDEX_KEYS_TEXT, KEKS_TEXT

    tag = uuid.uuid4().hex[:8]
    run = Run(
        os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        os.environ["MAAG_POSTGRES_URL"],
        f"bench_{name}_{tag}",
        f"bench.{tag}.",
        free_port(),
    )

    await kafka.ensure_topics(run.bootstrap, run.prefix)
    with psycopg.connect(run.postgres_url, autocommit=True) as conn:  # as `maag db migrate` does
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(run.schema)))
    service = start_service(
        name,
        run.port,
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
        with stopped(service, f"the {name} service"):
            await wait_ready(run.port, f"the {name} service", service)
            yield run
    finally:
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
    from tests.support.system import running_system

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
