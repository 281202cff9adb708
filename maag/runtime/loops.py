"""Small helpers for the services' background loops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from maag.runtime.logging import get_logger

log = get_logger(__name__)


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


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
    backoff = 0.2
    while not stop.is_set():
        try:
            moved = await asyncio.to_thread(step)
            backoff = 0.2
        except Exception as e:
            log.warning(f"{what} retrying", error=repr(e), in_seconds=backoff, **context)
            await sleep_or_stop(stop, backoff)
            backoff = min(backoff * 2, 10.0)
            continue
        if not moved:
            await sleep_or_stop(stop, idle)
