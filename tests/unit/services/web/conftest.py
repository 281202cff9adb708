"""The web app built as `maag run` builds it, its services and identity provider stood in for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from authlib.integrations.starlette_client import StarletteOAuth2App
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from starlette.responses import RedirectResponse

from maag.runtime.settings import Settings
from services.web.app import create_app
from services.web.identity import Token
from services.web.settings import SERVICES, WebSettings
from tests.unit.services.web.stand_ins import Provider, Services


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Provider:
    found = Provider()

    async def redirect(self: object, request: object, redirect_uri: str) -> RedirectResponse:
        return RedirectResponse(f"http://idp.test/auth?redirect_uri={redirect_uri}", 302)

    async def finish(self: object, request: object) -> Token:
        return found.token()

    async def refresh(self: object, **kwargs: str) -> Token:
        found.refreshed.append(kwargs["refresh_token"])
        return {**found.token(), "access_token": "token-refreshed"}

    async def metadata(self: object) -> dict[str, str]:
        return {"end_session_endpoint": "http://idp.test/logout"}

    monkeypatch.setattr(StarletteOAuth2App, "authorize_redirect", redirect)
    monkeypatch.setattr(StarletteOAuth2App, "authorize_access_token", finish)
    monkeypatch.setattr(StarletteOAuth2App, "fetch_access_token", refresh)
    monkeypatch.setattr(StarletteOAuth2App, "load_server_metadata", metadata)
    return found


@pytest.fixture
def services() -> Services:
    return Services()


@pytest.fixture
def web(services: Services, provider: Provider, tmp_path: Path) -> Iterator[TestClient]:
    urls = {s: f"http://{s}.test" for s in SERVICES}
    settings = Settings(oidc_issuer="http://idp.test/realms/maag", service_urls=urls)
    ws = WebSettings.of(settings, {"MAAG_WEB_CLIENT_SECRET": "secret"})
    client = httpx.AsyncClient(transport=httpx.MockTransport(services))
    store = create_engine(f"sqlite:///{tmp_path / 'web.sqlite'}")
    app = create_app(ws, store, client)
    app.state.services = services  # `stand_ins.sign_in` clears what the sign-in asked of them
    with TestClient(app, follow_redirects=False) as browser:
        yield browser
