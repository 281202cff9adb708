"""The project's own HTTP clients drop an idle connection before the services do: a request
sent on a connection the server is closing that moment is lost ("Server disconnected
without sending a response"), which the auditor's timeline met under the web benchmark's
load (httpx kept a connection 5 s by default, and uvicorn closed it after 5 s)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from maag.runtime.evidence import timeline
from maag.runtime.settings import Settings
from maag.runtime.web import http
from services.web.app import create_app
from services.web.settings import SERVICES, WebSettings


def _kept(client: httpx.Client | httpx.AsyncClient) -> float | None:
    # httpx does not say how long it keeps a connection: its pool (httpcore's) does
    expiry: float | None = client._transport._pool._keepalive_expiry  # type: ignore[union-attr]
    return expiry


def test_clients_keep_an_idle_connection_less_long_than_the_services() -> None:
    assert http.CLIENT_KEEP_ALIVE_SECONDS < http.SERVER_KEEP_ALIVE_SECONDS
    assert _kept(timeline._shared()) == http.CLIENT_KEEP_ALIVE_SECONDS


def test_the_web_apps_client_of_the_services_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[httpx.AsyncClient] = []
    original = httpx.AsyncClient

    def recorded(*args: object, **kwargs: object) -> httpx.AsyncClient:
        client = original(*args, **kwargs)  # type: ignore[arg-type]
        made.append(client)
        return client

    monkeypatch.setattr(httpx, "AsyncClient", recorded)
    urls = {s: f"http://{s}.test" for s in SERVICES}
    settings = Settings(oidc_issuer="http://idp.test/realms/maag", service_urls=urls)
    ws = WebSettings.of(settings, {"MAAG_WEB_CLIENT_SECRET": "secret"})
    create_app(ws, create_engine(f"sqlite:///{tmp_path / 'web.sqlite'}"))
    assert [_kept(c) for c in made] == [http.CLIENT_KEEP_ALIVE_SECONDS]
