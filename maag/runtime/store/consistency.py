"""Reading one's own writes. A service's read models lag its store by moments
(`maag.runtime.follow.projection`), so a chair who records a decision and is shown the agenda at once
could see it without the decision, and decide again.

A successful write that asks (`X-MAAG-Want-Position`) is answered with the store's position
after it (`X-MAAG-Position`). A read that sends a position back (`X-MAAG-After`) first brings the
service's read model up to it, catching up in the request itself if the projection loop has not
yet (the projector's position row is locked while it works, so the two never apply an event
twice), bounded in time. Only for a caller whose token verifies: nobody else makes the
service do work on the store.
"""

from __future__ import annotations

import asyncio
import re
import time

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maag.runtime.follow.projection import Projector
from maag.runtime.logging import get_logger
from maag.runtime.store.application import ServiceApplication
from maag.runtime.web.auth import ProviderUnavailable, TokenVerifier, Unauthenticated
from maag.runtime.web.http import problem

log = get_logger(__name__)

POSITION_HEADER = "X-MAAG-Position"
ASK_HEADER = "X-MAAG-Want-Position"
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


class ReadYourWrites:
    """ASGI middleware (not Starlette's BaseHTTPMiddleware, whose per-request cost every call
    would pay): catches a read up to the caller's position; answers a write that asks for it
    (`X-MAAG-Want-Position`, so other callers pay no extra query) with the store's position."""

    def __init__(
        self,
        app: ASGIApp,
        service: ServiceApplication,
        projector: Projector,
        wait: float,
        verifier: TokenVerifier,
    ) -> None:
        self.app = app
        self.service = service
        self.projector = projector
        self.wait = wait
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] in _READS:
            after = headers.get(AFTER_HEADER)
            if after is not None:
                if not _POSITION.match(after):
                    detail = f"header {AFTER_HEADER}: not a position (1 to 18 digits)"
                    await problem(400, detail)(scope, receive, send)
                    return
                if await self._authenticated(headers):  # else the route answers 401
                    await self._catch_up(int(after))
            await self.app(scope, receive, send)
            return
        if ASK_HEADER not in headers:
            await self.app(scope, receive, send)
            return

        async def with_position(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                try:  # the write is done when its answer starts
                    head = await asyncio.to_thread(self.service.recorder.max_notification_id)
                    message = {
                        **message,
                        "headers": [
                            *message.get("headers", []),
                            (POSITION_HEADER.lower().encode(), str(head or 0).encode()),
                        ],
                    }
                except Exception as e:  # the write is done; only the hint is missing
                    log.warning("store position unavailable after a write", error=repr(e))
            await send(message)

        await self.app(scope, receive, with_position)

    async def _authenticated(self, headers: Headers) -> bool:
        try:
            authorization = headers.get("authorization")
            await asyncio.to_thread(self.verifier.from_header, authorization)
        except (Unauthenticated, ProviderUnavailable):
            return False
        return True

    async def _catch_up(self, after: int) -> None:
        try:
            args = (self.service, self.projector, after, self.wait)
            if not await asyncio.to_thread(caught_up, *args):
                log.warning("read model still behind the caller's write", after=after)
        except Exception as e:  # the read itself will say whether the store is there
            log.warning("catching up for a read failed", error=repr(e))


def install(
    api: FastAPI, app: ServiceApplication, projector: Projector, wait: float = WAIT_SECONDS
) -> None:
    api.add_middleware(
        ReadYourWrites,
        service=app,
        projector=projector,
        wait=wait,
        verifier=api.state.verifier,  # set by maag.runtime.web.http.install
    )
