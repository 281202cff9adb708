"""Driving the web app in a real browser: Debian's chromium through Playwright (Playwright's
own browser download cannot work here), signing in on the identity provider's own pages,
an axe-core check of each page, and a screenshot of each."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx
from axe_playwright_python.sync_playwright import Axe
from fastapi.routing import APIRoute
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from sqlalchemy import create_engine

from maag.ops.identity.realm import LOCAL_PASSWORD
from maag.runtime.settings import Settings
from services.web.app import create_app
from services.web.settings import SERVICES, WebSettings

# Screenshots of every page the browser tests visit (kept for people to look at).
SHOTS = Path(".maag/screenshots")
BLOCKING = ("serious", "critical")
CHECKED: set[str] = set()  # the paths of the pages checked so far
# GET routes that are not pages: probes, the sign-in hand-offs (they redirect to the provider
# and back), and downloads
NOT_PAGES = {"/healthz", "/readyz", "/metrics", "/sign-in", "/auth/callback", "/reports/{name}.csv"}
NOT_PAGES.add("/referrals/{case_id}/documents/{document_id}")  # a download, not a page


@contextmanager
def chromium() -> Iterator[Browser]:
    found = shutil.which("chromium")
    assert found, "chromium is not installed: tests/run.sh installs it (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=found, headless=True, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Page, user: str) -> None:
    """On the provider's sign-in page (where the web app sent the browser)."""
    page.wait_for_url(re.compile(r".*/realms/maag/protocol/openid-connect/auth.*"))
    page.fill("#username", user)
    page.fill("#password", LOCAL_PASSWORD)
    page.click("#kc-login")
    # back at the web app before anything else: a reload while the browser is still being
    # sent back from the provider (another origin) fails "Not attached to an active page"
    page.wait_for_url(lambda url: "/protocol/openid-connect/" not in url)


AXE = Axe()


def check(page: Page, name: str) -> None:
    """Save a screenshot, and fail on any serious or critical accessibility violation or a
    page title that is empty or carries markup."""
    # after a sign-in the browser may still be arriving back from the identity provider:
    # wait (a bounded, retried expectation) for the page's own title rather than read it once
    expect(page).to_have_title(re.compile(" \u2013 MAAG$"))
    CHECKED.add(urlparse(page.url).path)
    title = page.title()
    assert title.endswith(" \u2013 MAAG") and "<" not in title, f"{name}: title {title!r}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    results = AXE.run(page)
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:5])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]
    assert not blocking, f"{name}: {blocking}"


def unchecked_pages() -> list[str]:
    """The web app's pages (its GET routes, less NOT_PAGES) that no check has visited."""
    urls = {s: "http://127.0.0.1:1" for s in SERVICES}
    settings = Settings(oidc_issuer="http://127.0.0.1:1/realms/maag", service_urls=urls)
    store = create_engine("sqlite://")  # the app's routes only: no one signs in
    app = create_app(WebSettings.of(settings, {"MAAG_WEB_CLIENT_SECRET": "unused"}), store)
    routes = [
        r
        for r in app.routes
        if isinstance(r, APIRoute) and "GET" in (r.methods or ()) and r.path not in NOT_PAGES
    ]
    return [r.path for r in routes if not any(r.path_regex.match(p) for p in CHECKED)]


def person(browser: Browser) -> Page:
    """A new person at the browser: their own context, so their own session cookie."""
    return browser.new_context().new_page()


def listed(page: Page, row: Locator) -> bool:
    """Whether `row` is on the page, once reloaded (the list is a read model, caught up)."""
    page.reload()
    return row.count() > 0


def up(origin: str) -> bool:
    try:
        return httpx.get(f"{origin}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
