"""What the service benchmarks share: a watcher on an outbound topic, a service process,
percentiles, the time a benchmark has left for a wait, and stopping what a benchmark started
when it is stopped itself (saying where it was)."""

from __future__ import annotations

import asyncio
import linecache
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer
from psycopg import sql

if TYPE_CHECKING:  # imported where used: `python -m bench readme` should not pay for it
    from tests.support.system import System


ROOT = Path(__file__).resolve().parent.parent  # the checkout: where "our" code is
DEADLINE = "MAAG_BENCH_DEADLINE"  # when this benchmark's waits must have ended (Unix time)


def limit(seconds: float) -> float:
    """`seconds`, or less: what is left of the time `python -m bench all` gives this
    benchmark (it sets MAAG_BENCH_DEADLINE a little before it stops it). A wait bounded by
    this fails with its own message, naming what it waited for, before the run stops the
    benchmark from outside (which can only say where it was)."""
    try:
        left = float(os.environ[DEADLINE]) - time.time()
    except (KeyError, ValueError):
        return seconds
    return max(1.0, min(seconds, left))


@dataclass
class Stopped:
    """Where the benchmark was when a signal stopped it (`stop_on_signals`): `where`, its
    innermost code of ours (`caller > callee (file:line)`), and `lines`, each frame of ours
    and every other task's, for the report."""

    signal: str | None = None
    where: str | None = None
    lines: list[str] = field(default_factory=list)


STOPPED = Stopped()


def _ours(frame: FrameType) -> bool:
    name = frame.f_code.co_filename
    path = os.path.abspath(name)
    return (
        not name.startswith("<")  # <frozen runpy>, <string>
        and path.startswith(str(ROOT) + os.sep)
        and f"{os.sep}site-packages{os.sep}" not in path
        and f"{os.sep}.venv{os.sep}" not in path
    )


def _spot(frame: FrameType) -> str:
    path = os.path.relpath(frame.f_code.co_filename, ROOT)
    return f"{path}:{frame.f_lineno}"


def _line(frame: FrameType) -> str:
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"  {_spot(frame)} in {frame.f_code.co_qualname}: {code}"


def _awaited(coro: Any) -> list[FrameType]:
    """The frames of a suspended coroutine and of what it awaits, outermost first (a task's
    own `get_stack` gives only the outermost)."""
    frames = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return frames


def where_stopped(frame: FrameType | None) -> tuple[str | None, list[str]]:
    """Where the code interrupted at `frame` was: in an event loop, the main task's awaits
    (the loop itself only waits for them) and every other task's innermost code of ours;
    otherwise the thread's own stack. (None, []) when it cannot tell."""
    stack: list[FrameType] = []
    while frame is not None:
        stack.append(frame)
        frame = frame.f_back
    stack.reverse()  # outermost first
    main: asyncio.Task[Any] | None = None
    for i, f in enumerate(stack):
        found = f.f_locals.get("future") if f.f_code.co_name == "run_until_complete" else None
        if isinstance(found, asyncio.Task):
            main, stack = found, stack[:i]  # the code that ran the loop, then its task's
            break
    frames = [*stack, *(_awaited(main.get_coro()) if main is not None else [])]
    ours = [f for f in frames if _ours(f)]
    lines = [_line(f) for f in ours]
    if main is not None:
        others = [t for t in asyncio.all_tasks(main.get_loop()) if t is not main]
        for task in sorted(others, key=lambda t: t.get_name())[:10]:
            inner = [f for f in _awaited(task.get_coro()) if _ours(f)]
            if inner:
                lines.append(f"  (task {task.get_name()}) {_line(inner[-1]).strip()}")
    if not ours:
        return None, lines
    names = " > ".join(f.f_code.co_qualname for f in ours[-2:])
    return f"{names} ({_spot(ours[-1])})", lines


def stop_on_signals() -> None:
    """SIGTERM raises SystemExit in the main thread, as Ctrl-C (SIGINT) raises
    KeyboardInterrupt: either way every `finally` and context manager on the way out runs,
    so the service processes a benchmark started are stopped and its schemas dropped (the
    default SIGTERM would end the process at once and leave them running). Where it was is
    kept in `STOPPED` (and said on stderr). A second signal while stopping is ignored, so
    the clean-up is not cut short half way."""
    stopping = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        name = signal.Signals(signum).name
        try:
            STOPPED.where, STOPPED.lines = where_stopped(frame)
        except Exception:  # never in the way of stopping
            STOPPED.where, STOPPED.lines = None, []
        STOPPED.signal = name
        at = f" (it was in {STOPPED.where})" if STOPPED.where else ""
        print(f"bench: {name}: stopping what this benchmark started{at}", file=sys.stderr)
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
    """`process`, stopped (`stop`) however the block ends: an error, SIGTERM, Ctrl-C. When
    the block failed, a stop that fails too is added to that error as a note: it does not
    take its place."""
    try:
        yield process
    except BaseException as e:
        try:
            stop(process, what, grace)
        except Exception as failed:
            e.add_note(f"and then: {failed}")
        raise
    stop(process, what, grace)


class Watcher:
    """Notes when the first record of `ce_type` for each key reaches `topic`. Its `wait_for`
    fails at once when `run` (its task) has ended or one of `processes` (the services the
    records come from, by what they are) has."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        ce_type: str,
        processes: Mapping[str, subprocess.Popen[bytes] | None] | None = None,
    ) -> None:
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.topic = topic
        self.ce_type = ce_type.encode()
        self.seen: dict[str, float] = {}
        self.processes = {k: p for k, p in (processes or {}).items() if p is not None}
        self.task: asyncio.Task[Any] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        self.task = asyncio.current_task()
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

    def _still_going(self, waiting: str) -> None:
        if self.task is not None and self.task.done():
            error = None if self.task.cancelled() else self.task.exception()
            raise RuntimeError(
                f"the watcher of {self.topic} ended while {waiting}: {error!r}"
            ) from error
        ended(self.processes, waiting)

    async def wait_for(self, keys: set[str], timeout: float | None = None) -> None:
        """Until a record of the type has reached the topic for every key; at `timeout`
        (300 s, or what is left of the benchmark's time: `limit`), an error naming the type,
        the topic, how many are missing and one of them. At once, an error when the watcher
        or a service it watches has ended."""
        seconds = limit(300.0) if timeout is None else timeout
        deadline = time.perf_counter() + seconds
        while not keys <= self.seen.keys():
            missing = keys - self.seen.keys()
            waiting = (
                f"{len(missing)} of {len(keys)} {self.ce_type.decode()} on {self.topic} "
                "had not arrived"
            )
            self._still_going(waiting)
            if time.perf_counter() > deadline:
                raise TimeoutError(
                    f"waited {seconds:.0f} s for {self.ce_type.decode()} on {self.topic}: "
                    f"{len(missing)} of {len(keys)} never arrived (one: {min(missing)})"
                )
            await asyncio.sleep(0.02)


def ended(processes: Mapping[str, subprocess.Popen[bytes]], waiting: str) -> None:
    """An error naming the first of `processes` (by what it is) that has ended, if any."""
    for what, process in processes.items():
        if process.poll() is not None:
            raise RuntimeError(f"{what} ended (exit code {process.returncode}) while {waiting}")


def drop_schema(url: str, *schemas: str) -> None:
    """A benchmark's schemas dropped, whatever they hold (its clean-up)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


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
    timeout: float | None = None,
) -> None:
    """Until `/readyz` on `port` answers 200; an error naming `what` and its last answer
    at `timeout` (60 s, or what is left of the benchmark's time), or at once when `process`
    (the service) has ended."""
    last = "no answer"
    timeout = limit(60.0) if timeout is None else timeout
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
                    f"{what} on port {port} was not ready within {timeout:.0f} s "
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
    service: subprocess.Popen[bytes] | None = field(default=None, compare=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@asynccontextmanager
async def running_service(name: str, env: dict[str, str] | None = None) -> AsyncIterator[Run]:
    """The service in its own process on the broker and database the environment names, in a
    fresh schema and topic prefix, on a free port (a fixed one could be another run's, whose
    /readyz would answer for it); stopped, its schema dropped and its topics deleted
    afterwards. `Run.service` is its process."""
    from maag.runtime.messaging import kafka
    from tests.support.keys import CHAIN_KEY_TEXT
    from tests.support.net import free_port
    from tests.support.referral import CHILD_INDEX_KEYS_TEXT, KEKS_TEXT
    from tests.support.topics import delete_topics

    tag = uuid.uuid4().hex[:8]
    run = Run(
        os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        os.environ["MAAG_POSTGRES_URL"],
        f"bench_{name}_{tag}",
        f"bench.{tag}.",
        free_port(),
    )

    try:
        await kafka.ensure_topics(run.bootstrap, run.prefix)
        with psycopg.connect(run.postgres_url, autocommit=True) as conn:  # as `maag db migrate`
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
        with stopped(service, f"the {name} service"):
            await wait_ready(run.port, f"the {name} service", service)
            yield replace(run, service=service)
    finally:
        try:
            drop_schema(run.postgres_url, run.schema)
        finally:
            await delete_topics(run.bootstrap, run.prefix)


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
    benchmark's), against KAFKA_BOOTSTRAP_SERVERS and MAAG_POSTGRES_URL; its topics deleted
    afterwards."""
    from tests.support.system import running_system
    from tests.support.topics import delete_topics_now

    run = uuid.uuid4().hex[:8]
    bootstrap, prefix = os.environ["KAFKA_BOOTSTRAP_SERVERS"], f"bench.{run}."
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_system(
                Path(tmp), bootstrap, os.environ["MAAG_POSTGRES_URL"], f"bench_{name}_{run}", prefix
            ) as system,
        ):
            yield system
    finally:
        delete_topics_now(bootstrap, prefix)
