"""The lead professional's pages: the cases they lead, and a case's page (the one every email
links to, for whoever the services let read it)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from contracts.reference import Role
from services.web.forms import FormErrors
from services.web.pages import Person, Web, WebApp, optional, signed_in
from services.web.sessions import SignedIn

router = APIRouter()
Lead = Annotated[SignedIn, Depends(signed_in(Role.LEAD_PROFESSIONAL.value))]


@router.get("/my-cases", response_class=HTMLResponse)
async def my_cases(request: Request, web: WebApp, who: Lead) -> Response:
    rows = await web.backend.call(who, "GET", "panel", "/my/cases")
    return web.page(request, "my_cases.html", who, rows=rows)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case(request: Request, web: WebApp, who: Person, case_id: uuid.UUID) -> Response:
    return await case_page(web, request, who, case_id)


async def case_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Where the case stands, its packages, and the child's details for those the referral
    service shows them to."""
    path = f"/cases/{case_id}"
    call = web.backend.call
    # the services at once: the page waits for the slowest, not for their sum
    found, history, child, packages = await asyncio.gather(
        call(who, "GET", "panel", path),
        optional(call(who, "GET", "panel", f"{path}/history")),
        optional(call(who, "GET", "referral", f"/referrals/{case_id}")),
        optional(call(who, "GET", "commissioning", f"{path}/packages")),
    )
    return web.page(
        request,
        "case.html",
        who,
        status,
        case=found,
        history=history,
        referral=child,
        packages=packages,
        errors=errors or FormErrors(),
    )
