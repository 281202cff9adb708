"""The auditor's pages: whether each service's stored history is intact (as each service's
latest walk found it, or walked again when asked), and a case's whole timeline across the
services, a page at a time, now or as it stood at a time they choose."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, TypedDict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.reference import Role
from services.web.backend import Unavailable
from services.web.forms import FormErrors
from services.web.pages import Web, WebApp, signed_in
from services.web.sessions import SignedIn
from services.web.settings import SERVICES

router = APIRouter()
Auditor = Annotated[SignedIn, Depends(signed_in(Role.AUDITOR.value))]


PAGE = 100  # timeline entries a page shows (a busy case has thousands: its reads)


class StoreCheck(TypedDict, total=False):
    """A service's tamper check (the page shows its count, breaks and when it was walked
    too); `intact` is None when the service did not answer."""

    service: str
    intact: bool | None
    walked_at: str


@router.get("/audit", response_class=HTMLResponse)
async def audit_search(request: Request, web: WebApp, who: Auditor, case_id: str = "") -> Response:
    wanted = case_id.strip()
    if wanted:
        try:
            return RedirectResponse(f"/audit/cases/{uuid.UUID(wanted)}", status_code=303)
        except ValueError:
            problems = FormErrors()
            problems.add("case_id", "Enter a case id as it appears in the case's emails")
            return web.page(request, "audit_search.html", who, 400, errors=problems, wanted=wanted)
    stores = await _stores(web, who, "/audit/store/latest")
    return web.page(request, "audit_search.html", who, wanted="", stores=stores, now=False)


@router.get("/audit/stores", response_class=HTMLResponse)
async def audit_stores(request: Request, web: WebApp, who: Auditor) -> Response:
    """Every store walked again now (the longer, the larger the store)."""
    stores = await _stores(web, who, "/audit/store")
    return web.page(request, "audit_search.html", who, wanted="", stores=stores, now=True)


@router.get("/audit/cases/{case_id}", response_class=HTMLResponse)
async def audit_case(
    request: Request,
    web: WebApp,
    who: Auditor,
    case_id: uuid.UUID,
    as_of: str = "",
    before: str = "",
) -> Response:
    as_of = as_of.strip()
    params = {"limit": str(PAGE)} | ({"before": before} if before else {})
    if as_of:
        try:
            when = datetime.fromisoformat(as_of)
        except ValueError:
            problems = FormErrors()
            problems.add("as_of", "Enter the date and time, for example 2026-12-01T10:00")
            return web.page(
                request,
                "audit_case.html",
                who,
                400,
                errors=problems,
                timeline=None,
                case_id=case_id,
                as_of=as_of,
            )
        # a time without its zone is UTC, as the form's hint says
        params["as_of"] = (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()
    timeline = await web.backend.call(
        who, "GET", "referral", f"/audit/cases/{case_id}/timeline", params=params
    )
    return web.page(
        request,
        "audit_case.html",
        who,
        timeline=timeline,
        case_id=case_id,
        as_of=as_of,
        before=before,
    )


async def _stores(web: Web, who: SignedIn, path: str) -> list[StoreCheck]:
    """Each service's tamper check (`path`: its latest walk, or one now); a service that
    does not answer says so."""

    async def one(service: str) -> StoreCheck:
        try:
            found: StoreCheck = await web.backend.call(who, "GET", service, path)
            return found
        except Unavailable:
            return {"service": service, "intact": None}

    return list(await asyncio.gather(*(one(s) for s in SERVICES)))
