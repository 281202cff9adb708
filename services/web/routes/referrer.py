"""The referrer's pages: make a referral, see the referrals, and on a referral record consent,
its withdrawal or a safeguarding basis (the panel's people may change a referral too, and
auditors read the list)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, TypedDict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.reference import Agency, District, Role
from services.web.backend import Invalid, NotFound, Refused
from services.web.forms import FormErrors, api_errors, referral_body, request_key
from services.web.pages import PANEL_PEOPLE, CheckedForm, Person, Web, WebApp, signed_in
from services.web.sessions import SignedIn

router = APIRouter()
Referrer = Annotated[SignedIn, Depends(signed_in(Role.REFERRER.value))]
ReaderOfReferrals = Annotated[
    SignedIn, Depends(signed_in(Role.REFERRER.value, *PANEL_PEOPLE, Role.AUDITOR.value))
]
ChangerOfReferrals = Annotated[SignedIn, Depends(signed_in(Role.REFERRER.value, *PANEL_PEOPLE))]


class Made(TypedDict):
    """The referral API's answer to a new referral (what the page reads of it)."""

    case_id: str


class Referral(TypedDict):
    """What the change forms read of a referral."""

    agencies_requested: list[str]
    referring_agency: str


@router.get("/referrals/new", response_class=HTMLResponse)
async def new_referral(request: Request, web: WebApp, who: Referrer) -> Response:
    return _form_page(web, request, who, {}, [], FormErrors())


@router.post("/referrals", response_class=HTMLResponse)
async def submit_referral(
    request: Request, web: WebApp, who: Referrer, form: CheckedForm
) -> Response:
    agencies = [str(a) for a in form.getlist("agencies")]
    body, errors = referral_body(form, agencies, who.agency, who.user_id, datetime.now(UTC).date())
    if errors:
        return _form_page(web, request, who, form, agencies, errors, 400)
    try:
        made: Made = await web.backend.call(
            who, "POST", "referral", "/referrals", json=body, idempotency_key=request_key(form)
        )
    except Invalid as e:
        return _form_page(web, request, who, form, agencies, api_errors(e.errors, str(e)), 400)
    except Refused as e:
        return _form_page(web, request, who, form, agencies, FormErrors(other=[str(e)]), 409)
    return RedirectResponse(f"/referrals/{made['case_id']}", status_code=303)


@router.get("/referrals", response_class=HTMLResponse)
async def referrals(request: Request, web: WebApp, who: ReaderOfReferrals) -> Response:
    rows = await web.backend.call(who, "GET", "referral", "/referrals")
    return web.page(request, "referrals.html", who, referrals=rows)


@router.get("/referrals/{case_id}", response_class=HTMLResponse)
async def referral(request: Request, web: WebApp, who: Person, case_id: uuid.UUID) -> Response:
    return await _referral_page(web, request, who, case_id)


@router.post("/referrals/{case_id}/{action}")
async def change_referral(
    request: Request,
    web: WebApp,
    who: ChangerOfReferrals,
    form: CheckedForm,
    case_id: uuid.UUID,
    action: str,
) -> Response:
    """Consent given or withdrawn, or a safeguarding basis recorded, on a referral."""
    found: Referral = await web.backend.call(who, "GET", "referral", f"/referrals/{case_id}")
    change = _changes(form, found, who, datetime.now(UTC).date().isoformat()).get(action)
    if change is None:
        raise NotFound(action)
    path, body = change
    return await web.write(
        who,
        form,
        "POST",
        "referral",
        f"/referrals/{case_id}/{path}",
        body,
        again=lambda errors, status: _referral_page(web, request, who, case_id, errors, status),
        done=f"/referrals/{case_id}",
    )


def _changes(
    form: Mapping[str, object], found: Referral, who: SignedIn, today: str
) -> dict[str, tuple[str, Mapping[str, object]]]:
    """Each change form's action: the referral API's path under the referral, and its body."""
    return {
        "consent": (
            "consent",
            {
                "given_by": str(form.get("given_by", "")),
                "scope": found["agencies_requested"] or [found["referring_agency"]],
                "given_on": today,
                "how_obtained": str(form.get("how_obtained", "")).strip(),
            },
        ),
        "withdrawal": (
            "consent/withdrawal",
            {"withdrawn_on": today, "reason": str(form.get("reason", "")).strip()},
        ),
        "safeguarding-basis": (
            "safeguarding-basis",
            {
                "professional_id": who.user_id,
                "professional_name": who.name or who.user_id,
                "reason": str(form.get("reason", "")).strip(),
                "recorded_on": today,
            },
        ),
    }


def _form_page(
    web: Web,
    request: Request,
    who: SignedIn,
    form: Mapping[str, object],
    agencies: list[str],
    errors: FormErrors,
    status: int = 200,
) -> HTMLResponse:
    return web.page(
        request,
        "referral_new.html",
        who,
        status,
        form=form,
        chosen=agencies,
        errors=errors,
        districts=[d.value for d in District],
        agencies=[a.value for a in Agency],
        # the same key on a reload or a second click: the API records the referral once
        idempotency_key=(form.get("idempotency_key") if form else None) or uuid.uuid4().hex,
    )


async def _referral_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = await web.backend.call(who, "GET", "referral", f"/referrals/{case_id}")
    may_change = who.has(Role.REFERRER.value, *PANEL_PEOPLE)
    return web.page(
        request,
        "referral.html",
        who,
        status,
        referral=found,
        may_change=may_change,
        errors=errors or FormErrors(),
    )
