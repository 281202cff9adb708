"""The auditor's pages: whether each service's stored history is intact, and a case's whole
timeline across the services, now or as it stood at a time they choose."""

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


class StoreCheck(TypedDict, total=False):
    """A service's tamper check (the page shows its count and breaks too); `intact` is None
    when the service did not answer."""

    service: str
    intact: bool | None


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
    return web.page(request, "audit_search.html", who, wanted="", stores=await _stores(web, who))


@router.get("/audit/cases/{case_id}", response_class=HTMLResponse)
async def audit_case(
    request: Request, web: WebApp, who: Auditor, case_id: uuid.UUID, as_of: str = ""
) -> Response:
    as_of = as_of.strip()
    params = {}
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
        request, "audit_case.html", who, timeline=timeline, case_id=case_id, as_of=as_of
    )


async def _stores(web: Web, who: SignedIn) -> list[StoreCheck]:
    """Each service's tamper check, walked now; a service that does not answer says so."""

    async def one(service: str) -> StoreCheck:
        try:
            found: StoreCheck = await web.backend.call(who, "GET", service, "/audit/store")
            return found
        except Unavailable:
            return {"service": service, "intact": None}

    return list(await asyncio.gather(*(one(s) for s in SERVICES)))
