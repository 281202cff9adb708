"""The way in and out: the probes, the start page, signing in at the identity provider and
back, and signing out there too."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from authlib.integrations.base_client import OAuthError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.reference import Role
from services.web.backend import Unavailable
from services.web.pages import PANEL_PEOPLE, WebApp, checked_form, log, optional
from services.web.routes.commissioner import commissioner_tray
from services.web.routes.referrer import referrer_tray
from services.web.sessions import SignedIn

router = APIRouter()
T = TypeVar("T")


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, bool]:
    return {"ok": True}


@router.get("/readyz", include_in_schema=False)
async def readyz() -> dict[str, bool]:
    return {"ok": True}


@router.get("/sign-in")
async def sign_in(request: Request, web: WebApp, next: str = "/") -> Response:
    # only a page of this app to come back to: never another site
    request.session["next"] = next if next.startswith("/") and not next.startswith("//") else "/"
    return await web.identity.redirect(request, f"{web.settings.base_url}/auth/callback")


@router.get("/auth/callback")
async def callback(request: Request, web: WebApp) -> Response:
    try:
        token = await web.identity.finish(request)
    except OAuthError as e:
        log.info("web.sign_in_failed", error=e.error)
        return web.problem(
            request, 400, "Sign-in did not finish", "Go back to the start and sign in again."
        )
    who = SignedIn.from_token(token)
    web.sessions.end(request.session.get("sid"))
    next_path = request.session.get("next", "/")
    request.session.clear()  # a new session: nothing from before sign-in carries over
    request.session["sid"] = web.sessions.start(who)
    log.info("web.signed_in", user_id=who.user_id)
    return RedirectResponse(next_path, status_code=303)


# the form's token checked: only our own page's button signs a person out
@router.post("/sign-out", dependencies=[Depends(checked_form)])
async def sign_out(request: Request, web: WebApp) -> Response:
    who = web.sessions.end(request.session.get("sid"))
    request.session.clear()
    ending = await web.identity.end_session_endpoint()
    query = {
        "post_logout_redirect_uri": f"{web.settings.base_url}/",
        "client_id": web.settings.client_id,
    }
    if who and who.id_token:
        query["id_token_hint"] = who.id_token
    return RedirectResponse(f"{ending}?{urlencode(query)}", status_code=303)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, web: WebApp) -> Response:
    """Where to start, and each of the person's roles' work tray: what waits for them."""
    if web.signed_in(request) is None:
        return web.page(request, "index.html", None)
    # renewed first, like any page's person: a tray's call must not end a lapsed session
    who = await web.person(request, ())
    missing: list[str] = []

    async def tray(name: str, roles: tuple[str, ...], call: Callable[[], Awaitable[T]]) -> T | None:
        if not who.has(*roles):
            return None
        try:
            return await optional(call())
        except Unavailable:  # the rest of the page, and the other trays, still show
            missing.append(name)
            return None

    def read(service: str, path: str) -> Callable[[], Awaitable[Any]]:
        return lambda: web.backend.call(who, "GET", service, path)

    lead = (Role.LEAD_PROFESSIONAL.value,)
    work, due, consent_due, privacy_due, referrals_due, near_limits = await asyncio.gather(
        tray("your meetings", PANEL_PEOPLE, read("panel", "/my/work")),
        tray("your cases", lead, read("panel", "/my/cases/due")),
        tray("consent to reconfirm", lead, read("referral", "/my/consent/due")),
        tray(
            "retention and holds", (Role.PRIVACY_OFFICER.value,), read("referral", "/privacy/due")
        ),
        tray("your referrals", (Role.REFERRER.value,), lambda: referrer_tray(web, who)),
        tray(
            "failed commissioning, providers and budgets",
            (Role.COMMISSIONER.value,),
            lambda: commissioner_tray(web, who),
        ),
    )
    return web.page(
        request,
        "index.html",
        who,
        work=work,
        due=due,
        consent_due=consent_due,
        privacy_due=privacy_due,
        commissioner_tray=near_limits,
        referrals_due=referrals_due,
        trays_unavailable=missing,
    )
