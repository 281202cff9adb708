"""Followers of a service's own event log: the outbox relay, the hash chain, the read-model
projections and the email sender all run as one `Follower`.

A follower repeats a step (read after its recorded position, act, record the new position)
while the step moves; when it does not, it waits to be woken. Where the store is
PostgreSQL, eventsourcing's recorder sends `NOTIFY <channel>` in the transaction of every
insert, and one `Wakeup` per service LISTENs for it and wakes every follower, so a new
event is acted on when it commits rather than at the next poll; a slow poll remains as a
safety net (a notification lost while the listener reconnects). With SQLite (one local
process) there is nothing to listen to, and followers poll briefly.

Failures (the store or broker away, a conflict with another replica) are retried with a
pause that grows to a cap and ends at once when the service stops. A follower that must
run once among replicas (the relay, the sender) holds a `Leadership`; the others are safe
to run in every replica because their position moves in the same transaction as their
effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from maag.runtime.follow.leadership import Leadership
from maag.runtime.follow.loops import Backoff, sleep_or_stop
from maag.runtime.logging import get_logger
from maag.runtime.store.application import ServiceApplication
from maag.runtime.web import metrics

log = get_logger(__name__)

# How long an idle follower waits before looking again although nothing woke it.
POLL_WITH_NOTIFY = 1.0
POLL_WITHOUT_NOTIFY = 0.05
# A follower woken by a commit reads at once, unless it read something moments ago
# (within BURST seconds): then commits are arriving in quick succession, and it lets them
# gather for its `gather` seconds first, so that a burst of small commits costs one read
# of many events rather than one read each. An isolated event is acted on at once.
BURST = 0.1
GATHER = 0.05

Step = Callable[[], Awaitable[int]]


def channel_of(app: ServiceApplication) -> str | None:
    """The channel eventsourcing's PostgreSQL recorder NOTIFYs on every insert, or None
    (another store). `channel_name` is the recorder's own attribute; test_follower.py
    fails if inserts stop notifying on it."""
    recorder = app.recorder
    if isinstance(recorder, PostgresApplicationRecorder):
        return str(recorder.channel_name)
    return None


class Wakeup:
    """One LISTEN connection per service process, waking every follower registered."""

    def __init__(self, postgres_url: str | None, channel: str | None) -> None:
        self.url = postgres_url
        self.channel = channel
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._lock = threading.Lock()
        self._closed: threading.Event | None = None  # set to end the current listener
        self.listening = threading.Event()  # set while LISTEN is in force

    @classmethod
    def of(cls, app: ServiceApplication, postgres_url: str | None) -> Wakeup:
        return cls(postgres_url, channel_of(app) if postgres_url else None)

    @property
    def poll(self) -> float:
        return POLL_WITH_NOTIFY if self.channel else POLL_WITHOUT_NOTIFY

    def register(self) -> asyncio.Event:
        """An event set whenever the log may have grown (from the running loop)."""
        woken = asyncio.Event()
        with self._lock:
            self._waiters.append((asyncio.get_running_loop(), woken))
            if self.channel and self._closed is None:
                self._closed = threading.Event()
                threading.Thread(
                    target=self._listen,
                    args=(self._closed,),
                    name=f"listen-{self.channel}",
                    daemon=True,
                ).start()
        return woken

    def unregister(self, woken: asyncio.Event) -> None:
        with self._lock:
            self._waiters = [(loop, e) for loop, e in self._waiters if e is not woken]
            if not self._waiters and self._closed is not None:
                self._closed.set()  # the listener ends within a second
                self._closed = None

    def _fire(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, woken in waiters:
            with contextlib.suppress(RuntimeError):  # its loop has closed
                loop.call_soon_threadsafe(woken.set)

    def _listen(self, closed: threading.Event) -> None:
        assert self.url is not None and self.channel is not None
        while not closed.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=2) as conn:
                    conn.execute(SQL("LISTEN {}").format(Identifier(self.channel)))
                    self.listening.set()
                    self._fire()  # what was committed while nobody listened
                    while not closed.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._fire()
            except psycopg.Error as e:
                log.warning("listening for new events retrying", error=repr(e))
            finally:
                self.listening.clear()
            closed.wait(1.0)


class Follower:
    """Runs `step` (async; returns how far it moved) until the service stops."""

    def __init__(
        self,
        name: str,
        step: Step,
        wakeup: Wakeup,
        *,
        leadership: Leadership | None = None,
        fatal: tuple[type[BaseException], ...] = (),
        gather: float = GATHER,
        batch: int | None = None,
        **context: Any,
    ) -> None:
        self.name = name
        self.step = step
        self.wakeup = wakeup
        self.leadership = leadership
        self.fatal = fatal  # errors the step's owner handles: not retried here
        self.gather = gather
        # The most a step reads at once: one that moved less read everything there was, so
        # the next waits for a commit (each of which wakes it) instead of reading again at
        # once only to find nothing, a transaction per wake-up for nothing. (A step moves by
        # positions, at least as many as it read: a full read never looks partial.)
        self.batch = batch
        self.context = context

    async def run(self, stop: asyncio.Event) -> None:
        woken = self.wakeup.register()
        backoff = Backoff(first=0.2)
        clock = asyncio.get_running_loop().time
        last_moved = float("-inf")
        try:
            while not stop.is_set():
                if self.leadership is not None and not await asyncio.to_thread(
                    self.leadership.holds
                ):
                    await sleep_or_stop(stop, 1.0)  # another replica leads
                    continue
                woken.clear()  # a commit from here on wakes the wait below
                try:
                    moved = await self.step()
                    backoff.reset()
                except self.fatal:
                    raise
                except Exception as e:
                    wait = backoff.next()
                    metrics.LOOP_FAILURES.labels(self.name).inc()
                    log.warning(
                        f"{self.name} retrying", error=repr(e), in_seconds=wait, **self.context
                    )
                    await sleep_or_stop(stop, wait)
                    continue
                if moved:
                    last_moved = clock()
                    if self.batch is None or moved >= self.batch:
                        continue
                await _first(stop, woken, self.wakeup.poll)
                if woken.is_set() and clock() - last_moved < BURST:
                    await sleep_or_stop(stop, self.gather)
        finally:
            self.wakeup.unregister(woken)
            if self.leadership is not None:
                self.leadership.release()


def in_thread(step: Callable[[], int]) -> Step:
    """A synchronous step (eventsourcing is synchronous) run in a worker thread."""

    async def run() -> int:
        return await asyncio.to_thread(step)

    return run


async def _first(stop: asyncio.Event, woken: asyncio.Event, timeout: float) -> None:
    """Until `stop` or `woken` is set, or `timeout` passes."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(woken.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
