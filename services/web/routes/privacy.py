"""The data protection officer's pages: find a case, its data protection record (how it
ended, when the retention schedule lets its details go, its legal hold, its erasure), a legal
hold placed or released, the child's personal details erased (after a confirmation), and the
subject-access export downloaded. The referral service decides again who may do each, and
records every reading and every act on the case."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.reference import Role
from services.web.backend import Invalid, NotFound, Refused
from services.web.forms import FormErrors, request_key
from services.web.pages import Again, CheckedForm, Web, WebApp, log, signed_in, today
from services.web.sessions import SignedIn

router = APIRouter()
PrivacyOfficer = Annotated[SignedIn, Depends(signed_in(Role.PRIVACY_OFFICER.value))]
# A case's id as people may paste it: alone, or inside the address of a page or an email.
CASE_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Each form's fields: the referral API's field (as its 422 names it) -> the form's field, and
# the field a rule's refusal (409) is shown beside. A date's error is held under its day box,
# so that the error summary links to the first box.
HOLD = ({"body.reason": "hold_reason", "body.until": "until-day"}, "until-day")
RELEASE = ({"body.reason": "release_reason"}, "release_reason")
ERASE = ({"body.reason": "reason"}, "confirm")


@router.get("/privacy", response_class=HTMLResponse)
async def find(request: Request, web: WebApp, who: PrivacyOfficer, case: str = "") -> Response:
    """Find a case by its id (pasted alone, or in the address of its page or its email)."""
    if not case.strip():
        return _find_page(web, request, who, case, FormErrors())
    found = case_id_in(case)
    if found is None:
        errors = FormErrors()
        errors.add(
            "case",
            "Enter the case's id as it is in its address, like "
            "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
        )
        return _find_page(web, request, who, case, errors, 400)
    return RedirectResponse(f"/privacy/cases/{found}", status_code=303)


def case_id_in(text: str) -> uuid.UUID | None:
    """The case id in what was typed or pasted (None: there is none)."""
    found = CASE_ID.search(text)
    return uuid.UUID(found.group(0)) if found else None


@router.get("/privacy/cases/{case_id}", response_class=HTMLResponse)
async def record(
    request: Request, web: WebApp, who: PrivacyOfficer, case_id: uuid.UUID
) -> Response:
    try:
        return await _record_page(web, request, who, case_id)
    except NotFound:  # said on the form it was looked for with
        errors = FormErrors()
        errors.add("case", "No case has this id: check it against the case's address")
        return _find_page(web, request, who, str(case_id), errors, 404)


@router.post("/privacy/cases/{case_id}/legal-hold")
async def place_hold(
    request: Request, web: WebApp, who: PrivacyOfficer, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    body, errors = hold_body(form, today())

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _record_page(web, request, who, case_id, e, status, form)

    if errors:  # what the form itself can tell; the API checks it all again
        return await again(errors, 400)
    path = f"/privacy/cases/{case_id}/legal-hold"
    return await _send(web, who, form, path, body, HOLD, again, f"/privacy/cases/{case_id}")


@router.post("/privacy/cases/{case_id}/legal-hold/release")
async def release_hold(
    request: Request, web: WebApp, who: PrivacyOfficer, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    reason = str(form.get("release_reason", "")).strip()

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _record_page(web, request, who, case_id, e, status, form)

    if not reason:
        errors = FormErrors()
        errors.add("release_reason", "Enter why the legal hold is released")
        return await again(errors, 400)
    path = f"/privacy/cases/{case_id}/legal-hold/release"
    body = {"reason": reason}
    return await _send(web, who, form, path, body, RELEASE, again, f"/privacy/cases/{case_id}")


@router.get("/privacy/cases/{case_id}/erasure", response_class=HTMLResponse)
async def confirm_erasure(
    request: Request, web: WebApp, who: PrivacyOfficer, case_id: uuid.UUID
) -> Response:
    """The erasure's confirmation: what it destroys, why, and that it cannot be undone."""
    return await _erasure_page(web, request, who, case_id)


@router.post("/privacy/cases/{case_id}/erasure")
async def erase(
    request: Request, web: WebApp, who: PrivacyOfficer, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    reason = str(form.get("reason", "")).strip()

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _erasure_page(web, request, who, case_id, e, status, form)

    errors = FormErrors()
    if not reason:
        errors.add("reason", "Enter why the child's personal details are erased")
    if str(form.get("confirm", "")) != "yes":
        errors.add("confirm", "Confirm that the child's personal details are to be erased")
    if errors:
        return await again(errors, 400)
    path = f"/privacy/cases/{case_id}/erasure"
    body = {"reason": reason}
    return await _send(web, who, form, path, body, ERASE, again, f"/privacy/cases/{case_id}")


# A POST with the form's token, not a link: a link on another site (SameSite=Lax lets its
# GET through) must not export a child's whole file and record the export on the case.
@router.post("/privacy/cases/{case_id}/subject-access.json")
async def subject_access(
    request: Request, web: WebApp, who: PrivacyOfficer, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    """Subject access: everything held about the child across the services (other people
    withheld), as the referral service exports it; the export is recorded on the case."""
    text: str = await web.backend.call(
        who,
        "GET",
        "referral",
        f"/privacy/cases/{case_id}/export",
        params={"format": "json"},
        text=True,
    )
    log.info("web.subject_access_exported", case_id=str(case_id), user_id=who.user_id)
    name = f"maag-subject-access-{str(case_id).split('-')[0].upper()}.json"
    return Response(
        text,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def hold_body(form: Mapping[str, object], today: date) -> tuple[dict[str, object], FormErrors]:
    """The legal hold API's body from the form, and what is missing from it (the API has the
    last word)."""
    errors = FormErrors()

    def text(name: str) -> str:
        return str(form.get(name, "")).strip()

    reason = text("hold_reason")
    if not reason:
        errors.add("hold_reason", "Enter why the case is held")
    until = _date(text("until-day"), text("until-month"), text("until-year"))
    if until is None:
        errors.add("until-day", "Enter the hold's last day as a real date, for example 31 3 2031")
    elif until < today:
        errors.add("until-day", "The hold's last day must be today or in the future")
    return {"reason": reason, "until": until.isoformat() if until else ""}, errors


async def _send(
    web: Web,
    who: SignedIn,
    form: Mapping[str, object],
    path: str,
    body: Mapping[str, object],
    fields: tuple[dict[str, str], str],
    again: Again,
    done: str,
) -> Response:
    """A privacy form's write, sent with the form's key (a second click records nothing
    more); then back to the case's record, or the form again with the service's refusal
    beside the field it is about (a rule's refusal beside the form's main field)."""
    by_api, refused_at = fields
    try:
        await web.backend.call(
            who, "POST", "referral", path, json=body, idempotency_key=request_key(form)
        )
    except Invalid as e:
        errors = FormErrors()
        for x in e.errors:
            api_field, reason = str(x.get("field", "")), str(x.get("reason", "is not valid"))
            name = next((f for p, f in by_api.items() if api_field.startswith(p)), None)
            if name is not None:
                errors.add(name, reason[:1].upper() + reason[1:])
            else:
                errors.other.append(f"{api_field}: {reason}")
        return await again(errors or FormErrors(other=[str(e)]), 400)
    except Refused as e:
        errors = FormErrors()
        errors.add(refused_at, plain(str(e)))
        return await again(errors, 409)
    return RedirectResponse(done, status_code=303)


def plain(message: str) -> str:
    """A service's refusal in the words of the page: a case by its reference, not its id; a
    date as people write it."""
    said = CASE_ID.sub(lambda m: f"MAAG-{m.group(0).split('-')[0].upper()}", message)
    said = re.sub(
        r"\b(\d{4})-(\d{2})-(\d{2})\b",
        lambda m: date(int(m[1]), int(m[2]), int(m[3])).strftime("%-d %B %Y"),
        said,
    )
    return said[:1].upper() + said[1:]


def _find_page(
    web: Web, request: Request, who: SignedIn, case: str, errors: FormErrors, status: int = 200
) -> HTMLResponse:
    return web.page(request, "privacy_find.html", who, status, case=case, errors=errors)


async def _record_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: Mapping[str, object] | None = None,
    template: str = "privacy_case.html",
) -> HTMLResponse:
    """The case's privacy record (or, with its template, the erasure's confirmation)."""
    found = await web.backend.call(who, "GET", "referral", f"/privacy/cases/{case_id}")
    return web.page(
        request,
        template,
        who,
        status,
        record=found,
        today=today(),
        form=form or {},
        errors=errors or FormErrors(),
    )


async def _erasure_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: Mapping[str, object] | None = None,
) -> HTMLResponse:
    return await _record_page(
        web, request, who, case_id, errors, status, form, template="privacy_erasure.html"
    )


def _date(day: str, month: str, year: str) -> date | None:
    if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None
