"""The four services' APIs, called with the signed-in person's token. Their answers become
what a page can show: data, or one of the errors below (never a stack trace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import structlog

from maag.runtime.store.consistency import AFTER_HEADER, ASK_HEADER, POSITION_HEADER
from maag.runtime.web.http import CORRELATION_HEADER
from services.web.sessions import SignedIn


class BackendError(Exception):
    """A service's answer a page shows as such."""


class SignInAgain(BackendError):
    """The token was refused (expired or revoked)."""


class NotAllowed(BackendError):
    """403: the service says this person may not."""


class NotFound(BackendError):
    """404: nothing there, or nothing this person may know exists."""


class Refused(BackendError):
    """409: a rule of the service refused it; the message says which."""


class Invalid(BackendError):
    """422: fields the service refused, each with its reason."""

    def __init__(self, errors: list[dict[str, str]], detail: str) -> None:
        super().__init__(detail)
        self.errors = errors


class Unavailable(BackendError):
    """The service is down or failed: try again."""


class Backend:
    def __init__(self, urls: Mapping[str, str], client: httpx.AsyncClient) -> None:
        self.urls = dict(urls)
        self.client = client

    async def call(
        self,
        who: SignedIn,
        method: str,
        service: str,
        path: str,
        *,
        json: Mapping[str, object] | None = None,
        params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        text: bool = False,
    ) -> Any:
        """The service's answer: its JSON (or, with `text`, its text) as the page shows it; the
        service's OpenAPI document has its shape, and a page reads only what it shows."""
        headers = {"Authorization": f"Bearer {who.access_token}"}
        # the page's correlation id (`observed`): the services' logs of this call carry it
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
        if correlation_id:
            headers[CORRELATION_HEADER] = str(correlation_id)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        reading = method in ("GET", "HEAD")
        after = who.written.get(service) if reading else None
        if after is not None:
            headers[AFTER_HEADER] = str(after)  # so the page shows what they just did
        if not reading:
            headers[ASK_HEADER] = "1"
        try:
            r = await self.client.request(
                method, f"{self.urls[service]}{path}", json=json, params=params, headers=headers
            )
        except httpx.HTTPError as e:
            raise Unavailable(f"the {service} service did not answer ({type(e).__name__})") from e
        if r.status_code >= 500:
            raise Unavailable(f"the {service} service failed ({r.status_code})")
        if r.status_code < 400:
            if not reading:
                who.wrote(service, r.headers.get(POSITION_HEADER))
            return r.text if text else r.json()
        detail = _detail(r)
        if r.status_code == 401:
            raise SignInAgain(detail)
        if r.status_code == 403:
            raise NotAllowed(detail)
        if r.status_code == 404:
            raise NotFound(detail)
        if r.status_code == 422:
            body = _json(r)
            errors = body.get("errors", []) if isinstance(body, dict) else []
            raise Invalid([e for e in errors if isinstance(e, dict)], detail)
        raise Refused(detail)


def _json(r: httpx.Response) -> object:
    try:
        return r.json()
    except ValueError:
        return None


def _detail(r: httpx.Response) -> str:
    body = _json(r)
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])[:500]
    return f"{r.status_code} {r.reason_phrase}"
