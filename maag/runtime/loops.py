"""Small helpers for the services' background loops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from maag.runtime import metrics
from maag.runtime.logging import get_logger

log = get_logger(__name__)


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class Backoff:
    """Pauses that double from `first` to `cap`: a retry never spins, and an outage is not
    hammered. `reset()` after a success."""

    def __init__(self, first: float = 0.05, cap: float = 10.0) -> None:
        self.first = first
        self.cap = cap
        self._next = first

    def next(self) -> float:
        wait = self._next
        self._next = min(self._next * 2, self.cap)
        return wait

    def reset(self) -> None:
        self._next = self.first


async def follow(
    stop: asyncio.Event,
    step: Callable[[], int],
    what: str,
    idle: float = 0.05,
    **context: Any,
) -> None:
    """Run `step` (synchronous; returns how far it moved) in a worker thread until `stop`:
    at once again while it moves, after `idle` when it does not, and with a growing pause
    (0.2 s to 10 s) while it fails — the store or broker away — never giving up."""
    backoff = Backoff(first=0.2)
    while not stop.is_set():
        try:
            moved = await asyncio.to_thread(step)
            backoff.reset()
        except Exception as e:
            wait = backoff.next()
            metrics.LOOP_FAILURES.labels(what).inc()
            log.warning(f"{what} retrying", error=repr(e), in_seconds=wait, **context)
            await sleep_or_stop(stop, wait)
            continue
        if not moved:
            await sleep_or_stop(stop, idle)
