"""HTTP plumbing every service's API shares: a body size limit, strict bodies, authentication,
errors with the field and the reason, correlation ids, health and metrics endpoints."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypedDict, TypeVar, cast

import httpx
import prometheus_client
from fastapi import APIRouter, Depends, FastAPI, Header, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts import strict
from contracts.limits import HTTP_BODY_BYTES
from maag.runtime import causation
from maag.runtime.logging import bound, get_logger
from maag.runtime.store.idempotency import KeyReused
from maag.runtime.store.liveness import STORE_UNAVAILABLE
from maag.runtime.web import metrics
from maag.runtime.web.auth import (
    Caller,
    Forbidden,
    ProviderUnavailable,
    TokenVerifier,
    Unauthenticated,
)

log = get_logger(__name__)
T = TypeVar("T")

CORRELATION_HEADER = "X-Correlation-Id"
# The methods a request is counted under by name; any other (a client may send any token)
# is counted as "other", so no client can add series to the metrics.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A caller's correlation id goes into every event's cause, so it is taken only as an id of
# this form (a UUID fits); anything else is replaced by a new one, which the response names.
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


# How long a process keeps an idle HTTP connection open for its clients (uvicorn's keep-alive),
# and how long the project's own clients keep one for reuse: less, so that a client never
# sends a request on a connection the server is closing that moment (the request is lost,
# "Server disconnected without sending a response"). httpx's default, 5 s, was uvicorn's.
SERVER_KEEP_ALIVE_SECONDS = 5
CLIENT_KEEP_ALIVE_SECONDS = 2.0


def client_limits() -> httpx.Limits:
    """The connection limits of a client of the services: idle connections dropped before
    the services drop them (`CLIENT_KEEP_ALIVE_SECONDS`)."""
    return httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_SECONDS)


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail, **extra})


# A route's own body limit, above HTTP_BODY_BYTES (an upload), declared once on the route
# (`body_allowance`) and published in its OpenAPI operation.
BODY_ALLOWANCE = "x-maag-body-bytes"
BODY_REFUSAL = "x-maag-body-refusal"


def body_allowance(limit: int, refusal: str) -> dict[str, Any]:
    """A route's `openapi_extra` allowing it a body of up to `limit` bytes (`BodyLimit`),
    refused beyond it with `refusal` ("<field>: why")."""
    return {BODY_ALLOWANCE: limit, BODY_REFUSAL: refusal}


class BodyLimit:
    """413 for a request body over `limit` bytes, before anything reads or parses it and
    before any authentication work: by its Content-Length at once, or, for a body that
    does not declare its length, as soon as the bytes received pass the limit. A route that
    declares its own allowance (`body_allowance`: an upload) has that limit instead."""

    def __init__(self, app: ASGIApp, limit: int = HTTP_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit
        # (route, its limit, its refusal), read from the app's routes at the first request
        # (they are all mounted by then): the few routes with an allowance
        self._allowed: list[tuple[APIRoute, int, str]] | None = None

    def _limit_of(self, scope: Scope) -> tuple[int, str]:
        if self._allowed is None:
            routes = getattr(scope.get("app"), "routes", [])
            self._allowed = [
                (r, int(extra[BODY_ALLOWANCE]), str(extra[BODY_REFUSAL]))
                for r in routes
                if isinstance(r, APIRoute) and BODY_ALLOWANCE in (extra := r.openapi_extra or {})
            ]
        for route, limit, refusal in self._allowed:
            if route.matches(scope)[0] is Match.FULL:
                return limit, refusal
        return self.limit, f"request body: larger than {self.limit} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, refusal = self._limit_of(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(send, 400, "header Content-Length: not a whole number")
                return
            if int(declared) > limit:
                await self._refuse(send, 413, refusal)
                return
        received = 0
        started = refused = False

        async def counted() -> Message:
            # Past the limit, answer 413 at once and tell the app the client has gone: it
            # stops reading (an exception here would reach the app's own error handling).
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await self._refuse(send, 413, refusal)
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; the app's own answer goes nowhere
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not refused:
                raise
            # the app's complaint about the "disconnect" we gave it; the 413 is sent

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class StrictRoute(APIRoute):
    """Reads a JSON body as its published JSON Schema does (contracts.strict): FastAPI's own
    validation is pydantic's lax mode, which takes "yes" for true and "3" for 3."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body = self.body_field
        if body is None or isinstance(body.field_info, params.Form):
            # a form (an upload: multipart) is no JSON document; FastAPI reads its fields
            return handler
        declared = Annotated[body.field_info.annotation, body.field_info]  # type: ignore[name-defined]

        async def strict_handler(request: Request) -> Response:
            raw = await request.body()
            if raw:  # FastAPI itself names a missing body
                try:
                    strict.validate_json(declared, raw)
                except ValidationError as e:
                    raise RequestValidationError(
                        [{**err, "loc": ("body", *err["loc"])} for err in e.errors()]
                    ) from None
            return await handler(request)

        return strict_handler


def mount(api: FastAPI, *routers: APIRouter) -> None:
    """Add the routers' routes to `api` as its own. FastAPI (0.137 on) includes a router
    lazily, as one entry of `api.routes` that lists none of its routes, and the access
    matrix, the scope test and the browser tests walk `api.routes` for every route: they
    would check nothing. (`tests/unit/runtime/web/test_http.py` notices when FastAPI changes.)
    A route that takes a body must read it strictly (`APIRouter(route_class=StrictRoute)`)."""
    for router in routers:
        for route in router.routes:
            if (
                isinstance(route, APIRoute)
                and route.body_field
                and not isinstance(route, StrictRoute)
            ):
                raise TypeError(f"{route.path}: its body is read strictly only by a StrictRoute")
        api.router.routes.extend(router.routes)


def observed(api: FastAPI) -> None:
    """Every request with a correlation id (the caller's, or a new one), bound into every
    log record made while it is handled and returned in the answer, and timed by route into
    `maag_http_request_seconds`: the services' APIs and the web app alike."""
    api.add_middleware(Observed)


class Observed:
    """`observed`'s middleware, written for ASGI itself: Starlette's `BaseHTTPMiddleware`
    (`@app.middleware("http")`) runs the rest of the request in a task of its own with
    streams between, a cost every request paid in every process."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = Headers(scope=scope).get(CORRELATION_HEADER, "")
        if not _CORRELATION_ID.match(correlation_id):
            correlation_id = str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = correlation_id  # request.state
        method = scope["method"]
        cause = causation.of_request(method, scope["path"], correlation_id)
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before it answers

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[CORRELATION_HEADER] = correlation_id
            await send(message)

        try:
            with bound(correlation_id=correlation_id), causation.caused_by(cause):
                await self.app(scope, receive, answer)
        finally:
            # the route's template: a path holds case ids, which must not become label values
            route = getattr(scope.get("route"), "path", "unmatched")
            label = method if method in METHODS else "other"  # bounded labels
            metrics.HTTP_REQUESTS.labels(route, label, str(status)).observe(
                time.perf_counter() - started
            )


def metrics_endpoint(api: FastAPI) -> None:
    @api.get("/metrics", tags=["health"], summary="Prometheus metrics (no case data)")
    def metrics() -> Response:
        return Response(
            prometheus_client.generate_latest(), media_type=prometheus_client.CONTENT_TYPE_LATEST
        )


def install(
    api: FastAPI,
    verifier: TokenVerifier,
    errors: dict[type[Exception], int] | None = None,
) -> None:
    """Wire the shared behaviour into `api` (before its routes are declared): the body
    limit, strict bodies, authentication, error bodies, correlation ids."""
    api.state.verifier = verifier
    api.router.route_class = StrictRoute
    observed(api)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        found = [
            {"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]}
            for err in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['reason']}" for e in found)
        return problem(422, f"invalid request: {summary}", errors=found)

    @api.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        response = problem(401, f"unauthenticated: {exc}")
        response.headers["WWW-Authenticate"] = 'Bearer realm="maag"'
        return response

    @api.exception_handler(ProviderUnavailable)
    async def provider_unavailable(_: Request, exc: ProviderUnavailable) -> JSONResponse:
        log.warning("identity provider unavailable for a key we do not hold")
        response = problem(503, f"unauthenticated for now: {exc}")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(KeyReused)
    async def key_reused(_: Request, exc: KeyReused) -> JSONResponse:
        return problem(409, str(exc))

    @api.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, f"forbidden: {exc}")

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))

    async def store_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("store unavailable", error=repr(exc))
        response = problem(
            503,
            "the service's store is unavailable; the request was not completed. "
            "Retry (with the same Idempotency-Key where the call takes one).",
        )
        response.headers["Retry-After"] = "5"
        return response

    for unavailable in STORE_UNAVAILABLE:
        api.add_exception_handler(unavailable, store_unavailable)

    for exc_type, status in (errors or {}).items():

        def handler(_: Request, exc: Exception, status: int = status) -> JSONResponse:
            return problem(status, str(exc))

        api.add_exception_handler(exc_type, handler)

    # Added last, so outermost: a large body is refused before anything else runs.
    api.add_middleware(BodyLimit)


async def current_caller(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Caller:
    """A token verified before is known at once; any other is verified on a worker thread
    (a key it names that is not held yet is fetched from the identity provider, which must
    not block the event loop)."""
    verifier: TokenVerifier = request.app.state.verifier
    known = verifier.remembered(authorization)
    if known is not None:
        return known
    return await run_in_threadpool(verifier.from_header, authorization)


CallerDep = Annotated[Caller, Depends(current_caller)]


# Dependencies that only read what is at hand are `async def`: FastAPI runs a plain `def`
# dependency on a worker thread, and that hop, three or four times a request, was a tenth of a
# service's CPU under the web benchmark. `current_caller` takes the hop only for a token it
# has not verified before.


def from_state(name: str, kind: type[T]) -> Callable[[Request], Coroutine[Any, Any, T]]:
    """A dependency giving what the service's wiring put in `app.state.<name>` (its
    application, its read model), as a `kind`."""

    async def found(request: Request) -> T:
        return cast(T, getattr(request.app.state, name))

    return found


async def correlation_id(request: Request) -> str:
    return str(request.state.correlation_id)


CorrelationId = Annotated[str, Depends(correlation_id)]

# Every write takes one (maag.runtime.store.idempotency): the same key again records nothing more.
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=8,
        max_length=100,
        description="The caller's key for this request: sent again, nothing more is recorded "
        "and the answer is what the first made",
    ),
]


class Asking(TypedDict):
    """What every command carries besides its own fields (`maag.runtime.commands.Command`):
    who asks, as part of which request, under which key. A route passes it on whole
    (`TheCommand(..., **asked)`), so no route spells the three out."""

    caller: Caller
    correlation_id: str
    idempotency_key: str | None


async def asking(
    caller: CallerDep, correlation_id: CorrelationId, idempotency_key: IdempotencyKey = None
) -> Asking:
    return Asking(caller=caller, correlation_id=correlation_id, idempotency_key=idempotency_key)


Asked = Annotated[Asking, Depends(asking)]


def health(api: FastAPI, ready: Callable[[], dict[str, bool]]) -> None:
    @api.get("/healthz", tags=["health"], summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    metrics_endpoint(api)

    @api.get("/readyz", tags=["health"], summary="Store and broker reachable")
    def readyz() -> JSONResponse:
        checks = ready()
        status = 200 if all(checks.values()) else 503
        return JSONResponse(
            status_code=status, content={"ready": all(checks.values()), "checks": checks}
        )
