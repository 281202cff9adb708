"""Reading one's own writes. A service's read models lag its store by moments
(`maag.runtime.projection`), so a chair who records a decision and is shown the agenda at once
could see it without the decision, and decide again.

Every successful write answers with the store's position after it (`X-MAAG-Position`). A read
that sends a position back (`X-MAAG-After`) first brings the service's read model up to it,
catching up in the request itself if the projection loop has not yet (the projector's position
row is locked while it works, so the two never apply an event twice), bounded in time.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from maag.runtime.application import ServiceApplication
from maag.runtime.http import problem
from maag.runtime.logging import get_logger
from maag.runtime.projection import Projector

log = get_logger(__name__)

POSITION_HEADER = "X-MAAG-Position"
AFTER_HEADER = "X-MAAG-After"
WAIT_SECONDS = 3.0
_POSITION = re.compile(r"^[0-9]{1,18}$")  # ASCII digits only; a notification id fits
_READS = frozenset({"GET", "HEAD"})


def caught_up(app: ServiceApplication, projector: Projector, after: int, wait: float) -> bool:
    """Whether the read model has reached `after` (or the store's head, if `after` is past it:
    a caller cannot make a read wait for events that do not exist), catching up meanwhile."""
    target = min(after, app.recorder.max_notification_id() or 0)
    deadline = time.monotonic() + wait
    while projector.position() < target:
        if time.monotonic() > deadline or not projector.catch_up_once():
            return projector.position() >= target
    return True


def install(
    api: FastAPI, app: ServiceApplication, projector: Projector, wait: float = WAIT_SECONDS
) -> None:
    @api.middleware("http")
    async def read_your_writes(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        after = request.headers.get(AFTER_HEADER)
        if after is not None and request.method in _READS:
            if not _POSITION.match(after):
                return problem(400, f"header {AFTER_HEADER}: not a position (1 to 18 digits)")
            try:
                if not await asyncio.to_thread(caught_up, app, projector, int(after), wait):
                    log.warning("read model still behind the caller's write", after=int(after))
            except Exception as e:  # the read itself will say whether the store is there
                log.warning("catching up for a read failed", error=repr(e))
        response = await call_next(request)
        if request.method not in _READS and response.status_code < 400:
            try:
                head = await asyncio.to_thread(app.recorder.max_notification_id)
                response.headers[POSITION_HEADER] = str(head or 0)
            except Exception as e:  # the write is done; only the hint is missing
                log.warning("store position unavailable after a write", error=repr(e))
        return response
