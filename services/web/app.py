"""The web app assembled: its parts on `app.state` (services' client, sessions, identity
provider, templates), the session cookie, the GOV.UK Frontend assets, the problem pages,
correlation ids and request timings (`/metrics`) as the services have them, and each
persona's router (`services.web.routes`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maag.runtime.collector import set_aside_what_was_built
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.logging import configure
from maag.runtime.settings import Settings
from maag.runtime.web.http import (
    SERVER_KEEP_ALIVE_SECONDS,
    client_limits,
    metrics_endpoint,
    mount,
    observed,
)
from services.web import problems
from services.web.backend import Backend
from services.web.directory import KeycloakDirectory
from services.web.identity import IdentityProvider
from services.web.pages import Web, templates
from services.web.routes import ROUTERS
from services.web.sessions import KeepSessions, Sessions
from services.web.settings import WebSettings


def create_app(ws: WebSettings, store: Engine, client: httpx.AsyncClient | None = None) -> FastAPI:
    """The web app, its sessions kept in `store`; `client` (the services' HTTP client) stays
    the caller's to close."""
    govuk = _assets(ws.assets)
    http = client or httpx.AsyncClient(timeout=15, limits=client_limits())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if client is None:
            await http.aclose()

    app = FastAPI(
        title="MAAG web app", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    sessions = Sessions(store, ws.session_minutes * 60, ws.session_secret)
    app.state.web = Web(
        settings=ws,
        backend=Backend(ws.service_urls, http),
        sessions=sessions,
        identity=IdentityProvider(ws),
        templates=templates(),
        directory=KeycloakDirectory(ws.issuer, ws.client_id, ws.client_secret, http),
    )
    app.add_middleware(KeepSessions, sessions=sessions)
    app.add_middleware(NoStore)
    app.add_middleware(
        SessionMiddleware,
        secret_key=ws.session_secret,
        session_cookie="maag_session",
        max_age=ws.session_minutes * 60,
        same_site="lax",
        https_only=ws.secure_cookies,
    )
    app.mount("/assets", StaticFiles(directory=govuk / "assets"), name="assets")
    app.mount("/govuk", StaticFiles(directory=govuk), name="govuk")
    problems.install(app)
    observed(app)  # correlation ids in its logs and to the services, timings at /metrics
    metrics_endpoint(app)
    mount(app, *ROUTERS)  # listed in `app.routes`: the browser tests check each page is visited
    return app


# The GOV.UK Frontend's files, the same for everyone: the only answers a browser may keep.
SHARED = ("/assets/", "/govuk/")


class NoStore:
    """Every page and download is `Cache-Control: no-store`: after signing out on a shared
    computer, Back must not bring a child's referral, notes or export out of the cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SHARED):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, sending)


def _assets(govuk: Path) -> Path:
    if not (govuk / "govuk-frontend.min.css").exists():
        raise RuntimeError(
            f"GOV.UK Frontend is not installed in {govuk}: run the install step "
            "(deploy/local/bootstrap.sh runs `npm ci --prefix services/web/frontend`)"
        )
    return govuk


def build(settings: Settings, env: dict[str, str] | None = None) -> FastAPI:
    return create_app(
        WebSettings.of(settings, os.environ if env is None else env),
        read_model_engine(settings, "web"),
    )


def main(settings: Settings) -> None:
    configure(settings.log_format)  # the services' format: JSON records with correlation ids
    ws = WebSettings.of(settings, os.environ)
    app = create_app(ws, read_model_engine(settings, "web"))
    set_aside_what_was_built()
    uvicorn.run(
        app,
        host=ws.host,
        port=ws.port,
        log_level="warning",
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
    )
