"""An HTTP client that keeps cookies as a browser does on http://127.0.0.1: Keycloak marks
its session cookies Secure, and browsers treat the loopback address as a secure origin and
send them back, which httpx would not. For signing in through the provider's own pages."""

from __future__ import annotations

import html
import re

import httpx


def browser(follow_redirects: bool) -> httpx.Client:
    client = httpx.Client(follow_redirects=follow_redirects, timeout=30)

    def keep_cookies(response: httpx.Response) -> None:
        for cookie in client.cookies.jar:
            if cookie.domain in ("127.0.0.1", "localhost"):
                cookie.secure = False

    client.event_hooks["response"] = [keep_cookies]
    return client


def login_form(page: httpx.Response) -> str:
    """Where the provider's sign-in form posts to."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action, f"no sign-in form on the provider's page: {page.text[:300]}"
    return str(page.url.join(html.unescape(action.group(1))))
