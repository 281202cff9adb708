"""A provider's staff: the running packages commissioned from their provider, each opening
the package's page (the one the provider's email links to), with whom to contact to start."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from contracts.reference import Role
from services.web.pages import WebApp, signed_in
from services.web.sessions import SignedIn

router = APIRouter()
ProviderStaff = Annotated[SignedIn, Depends(signed_in(Role.PROVIDER.value))]


@router.get("/provider/packages", response_class=HTMLResponse)
async def packages(request: Request, web: WebApp, who: ProviderStaff) -> Response:
    rows = await web.backend.call(who, "GET", "commissioning", "/provider/packages")
    return web.page(request, "provider_packages.html", who, rows=rows)
