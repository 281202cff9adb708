"""What the web app needs besides the shared settings, read from the environment once.

MAAG_WEB_HOST/PORT          where it listens (default 127.0.0.1:8010)
MAAG_WEB_BASE_URL           its public address (shared: emails link to its pages)
MAAG_WEB_CLIENT_ID          its client at the identity provider (default maag-web)
MAAG_WEB_CLIENT_SECRET      that client's secret (required)
MAAG_WEB_SESSION_SECRET     signs the session cookie; unset: a new one each start, so
                            everyone signs in again after a restart
MAAG_WEB_SESSION_MINUTES    how long a session lasts without use (default 60)
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from maag.runtime.settings import Settings, SettingsError

PORT = 8010
# The services whose APIs the pages call.
SERVICES = ("referral", "panel", "commissioning", "notifications")
INSTALLED_ASSETS = (
    Path(__file__).parent / "frontend" / "node_modules" / "govuk-frontend" / "dist" / "govuk"
)


@dataclass(frozen=True)
class WebSettings:
    base_url: str
    host: str
    port: int
    issuer: str
    client_id: str
    client_secret: str
    session_secret: str
    session_minutes: int
    service_urls: Mapping[str, str]
    assets: Path = INSTALLED_ASSETS

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS, except for the local address (plain HTTP on 127.0.0.1)."""
        return not self.base_url.startswith("http://127.0.0.1")

    @classmethod
    def of(cls, settings: Settings, env: Mapping[str, str]) -> WebSettings:
        if not settings.oidc_issuer:
            raise SettingsError("MAAG_OIDC_ISSUER is required: the web app signs people in there")
        secret = env.get("MAAG_WEB_CLIENT_SECRET", "")
        if not secret:
            raise SettingsError("MAAG_WEB_CLIENT_SECRET is required (the maag-web client's secret)")
        minutes = env.get("MAAG_WEB_SESSION_MINUTES", "60")
        if not minutes.isdigit() or not 5 <= int(minutes) <= 720:
            raise SettingsError("MAAG_WEB_SESSION_MINUTES must be a whole number from 5 to 720")
        port = env.get("MAAG_WEB_PORT", str(PORT))
        if not port.isdigit() or not 0 <= int(port) <= 65535:
            raise SettingsError("MAAG_WEB_PORT must be a port number")
        missing = set(SERVICES) - set(settings.service_urls)
        if missing:
            raise SettingsError(f"MAAG_SERVICE_URLS lacks {', '.join(sorted(missing))}")
        return cls(
            base_url=settings.web_base_url,
            host=env.get("MAAG_WEB_HOST", "127.0.0.1"),
            port=int(port),
            issuer=settings.oidc_issuer,
            client_id=env.get("MAAG_WEB_CLIENT_ID", "maag-web"),
            client_secret=secret,
            session_secret=env.get("MAAG_WEB_SESSION_SECRET") or secrets.token_urlsafe(32),
            session_minutes=int(minutes),
            service_urls=dict(settings.service_urls),
            assets=Path(env.get("MAAG_WEB_ASSETS") or INSTALLED_ASSETS),
        )
