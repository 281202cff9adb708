"""The commissioner's pages: providers and their weekly capacity, this financial year's
budgets and next year's (set before it starts), a package's page (the one the providers'
email links to, for whoever may read packages), and their tray on the home page (failed
commissioning first, then providers and budgets near their limits)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from contracts.reference import BUDGET_HOLDERS, Role, fy_label, settable_years
from services.web.backend import NotFound
from services.web.forms import FormErrors, number, pence
from services.web.pages import CheckedForm, Person, Web, WebApp, optional, signed_in
from services.web.sessions import SignedIn

router = APIRouter()
Commissioner = Annotated[SignedIn, Depends(signed_in(Role.COMMISSIONER.value))]
# Each district's MAAG, the county EARP, and each JAP funder's share of the JAP.


def _year(asked: str | None) -> int:
    """The financial year a budgets page or form is for: this one unless another a budget
    may be set for is asked (any other is not found)."""
    years = settable_years(datetime.now(UTC).date())
    if asked is None or asked == "":
        return years.start
    if not asked.isdigit() or int(asked) not in years:
        raise NotFound(f"budgets for {asked}")
    return int(asked)


@router.get("/packages/{package_id}", response_class=HTMLResponse)
async def package(request: Request, web: WebApp, who: Person, package_id: uuid.UUID) -> Response:
    found = await web.backend.call(who, "GET", "commissioning", f"/packages/{package_id}")
    return web.page(request, "package.html", who, package=found)


@router.get("/providers", response_class=HTMLResponse)
async def providers(request: Request, web: WebApp, who: Commissioner) -> Response:
    return await _providers_page(web, request, who)


@router.post("/providers/{provider_id}/capacity")
async def set_capacity(
    request: Request, web: WebApp, who: Commissioner, form: CheckedForm, provider_id: str
) -> Response:
    return await web.write(
        who,
        form,
        "PUT",
        "commissioning",
        f"/providers/{quote(provider_id, safe='')}/capacity",
        {"weekly_capacity": number(str(form.get("weekly_capacity", "")).strip())},
        again=lambda errors, status: _providers_page(web, request, who, errors, status),
        done="/providers",
        label="Capacity",
    )


@router.get("/budgets", response_class=HTMLResponse)
async def budgets(
    request: Request, web: WebApp, who: Commissioner, fy: str | None = None
) -> Response:
    return await _budgets_page(web, request, who, _year(fy))


@router.post("/budgets/{key}")
async def set_budget(
    request: Request, web: WebApp, who: Commissioner, form: CheckedForm, key: str
) -> Response:
    if key not in BUDGET_HOLDERS:
        raise NotFound(key)
    fy = _year(str(form.get("fy", "")))
    return await web.write(
        who,
        form,
        "PUT",
        "commissioning",
        f"/budgets/{key}/{fy}",
        {"amount_pence": pence(str(form.get("amount", "")).strip())},
        again=lambda errors, status: _budgets_page(web, request, who, fy, errors, status),
        done=f"/budgets?fy={fy}",
        label=key,
    )


async def _providers_page(
    web: Web, request: Request, who: SignedIn, errors: FormErrors | None = None, status: int = 200
) -> HTMLResponse:
    rows = await web.backend.call(who, "GET", "commissioning", "/providers")
    return web.page(request, "providers.html", who, status, rows=rows, errors=errors)


async def _budgets_page(
    web: Web,
    request: Request,
    who: SignedIn,
    fy: int,
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    # The year's budgets in one answer (each asked for alone was a dozen calls a page). One
    # not set is not in it; an answer that fails is the error page, never sixteen "not set"
    # budgets offered to be set over the real ones.
    found = await web.backend.call(who, "GET", "commissioning", f"/budgets/{fy}")
    by_key = {b["panel"]: b for b in found}
    rows = [by_key.get(key) or {"panel": key, "amount_pence": None} for key in BUDGET_HOLDERS]
    years = [(y, fy_label(y)) for y in settable_years(datetime.now(UTC).date())]
    return web.page(
        request, "budgets.html", who, status, rows=rows, fy=fy, years=years, errors=errors
    )


# The commissioner's tray (home page): what could not be commissioned, and what is near its
# limit now.
NEAR = 10  # a provider with a tenth of its weekly capacity free or less; a budget, left


def _where_failure_is_dealt_with(failure: dict[str, Any], fy: int) -> str | None:
    """Where a commissioner does what lets the panel's next decision be met: the providers'
    capacity, this year's budgets, or (the panel's own decision) a reviewed package's page;
    None: nothing of theirs to change."""
    if failure["remedy"] == "capacity":
        return "/providers"
    if failure["remedy"] == "budget":
        return f"/budgets?fy={fy}"
    return f"/packages/{failure['package_id']}" if failure["review"] else None


async def commissioner_tray(web: Web, who: SignedIn) -> dict[str, object]:
    """Packages the panels agreed that could not be commissioned and are not yet dealt with
    (overdue first, then the oldest, as commissioning answers them), each linking to where
    room or money is found; then providers near or at their weekly capacity (fullest first),
    and this financial year's budgets near or at their limit (least left first), from what
    commissioning reports."""
    fy = settable_years(datetime.now(UTC).date()).start
    capacity, failed, budgets = await asyncio.gather(
        optional(web.backend.call(who, "GET", "commissioning", "/reports/capacity")),
        optional(web.backend.call(who, "GET", "commissioning", "/failures")),
        optional(web.backend.call(who, "GET", "commissioning", f"/budgets/{fy}")),
    )
    providers = [
        {**p, "full": p["free"] <= 0}
        for p in capacity or []
        if p["weekly_capacity"] > 0 and p["free"] * NEAR <= p["weekly_capacity"]
    ]
    near = [
        {**b, "fy": fy, "year_ends": f"{fy + 1}-03-31", "spent": b["left_pence"] <= 0}
        for b in budgets or []
        if b["amount_pence"] > 0 and b["left_pence"] * NEAR <= b["amount_pence"]
    ]
    return {
        "fy": fy,
        # what could not be read is said, not taken for "nothing near its limit"
        "unread": [
            what
            for what, got in (("the providers' capacity", capacity), ("the budgets", budgets))
            if got is None
        ],
        "failures": None
        if failed is None
        else [{**f, "href": _where_failure_is_dealt_with(f, fy)} for f in failed],
        "providers": sorted(
            providers, key=lambda p: (-p["used"] / p["weekly_capacity"], p["name"])
        ),
        "budgets": sorted(near, key=lambda b: (b["left_pence"] / b["amount_pence"], b["panel"])),
    }
