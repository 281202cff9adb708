"""HTTP plumbing every service's API shares: authentication, errors with the field and the
reason, correlation ids, health endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from maag.runtime import causation
from maag.runtime.auth import Caller, Forbidden, TokenVerifier, Unauthenticated
from maag.runtime.logging import bound, get_logger

log = get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-Id"


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail, **extra})


def install(
    api: FastAPI,
    verifier: TokenVerifier,
    errors: dict[type[Exception], int] | None = None,
) -> None:
    """Wire the shared behaviour into `api`: authentication, error bodies, correlation ids."""
    api.state.verifier = verifier

    @api.middleware("http")
    async def correlation(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        request.state.correlation_id = correlation_id
        cause = causation.of_request(request.method, request.url.path, correlation_id)
        with bound(correlation_id=correlation_id), causation.caused_by(cause):
            response = await call_next(request)
        response.headers[CORRELATION_HEADER] = correlation_id
        return response

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

    @api.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, f"forbidden: {exc}")

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    @api.exception_handler(psycopg.OperationalError)
    async def store_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("store unavailable", error=repr(exc))
        response = problem(
            503,
            "the service's store is unavailable; the request was not completed. "
            "Retry (with the same Idempotency-Key where the call takes one).",
        )
        response.headers["Retry-After"] = "5"
        return response

    for exc_type, status in (errors or {}).items():

        def handler(_: Request, exc: Exception, status: int = status) -> JSONResponse:
            return problem(status, str(exc))

        api.add_exception_handler(exc_type, handler)


def current_caller(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Caller:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.from_header(authorization)


CallerDep = Annotated[Caller, Depends(current_caller)]


def correlation_id(request: Request) -> str:
    return str(request.state.correlation_id)


CorrelationId = Annotated[str, Depends(correlation_id)]


def health(api: FastAPI, ready: Callable[[], dict[str, bool]]) -> None:
    @api.get("/healthz", tags=["health"], summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", tags=["health"], summary="Store and broker reachable")
    def readyz() -> JSONResponse:
        checks = ready()
        status = 200 if all(checks.values()) else 503
        return JSONResponse(
            status_code=status, content={"ready": all(checks.values()), "checks": checks}
        )
