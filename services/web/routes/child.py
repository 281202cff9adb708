"""The child's record after a pre-birth referral: the page that records the birth (the date
of birth, and the name, sex and NHS number given at birth) on a child referred before they
were born. The referral service decides who may (the referring agency's referrers, and the
case's lead professional as sharing allows) and refuses a birth recorded twice; its
refusals land beside the fields they name."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from contracts.child import nhs_number_valid
from contracts.limits import ID_CHARS
from contracts.reference import Role
from services.web.backend import NotAllowed
from services.web.forms import NHS_NUMBER_WANTED, SEXES, FormErrors, national_key
from services.web.pages import CheckedForm, Web, WebApp, signed_in, today
from services.web.routes.case_record import Fields, date_parts, past_day, send
from services.web.sessions import SignedIn

router = APIRouter()

# Who the page is for; the referral service decides again, case by case (`UPDATE_CHILD`).
RECORDERS = (Role.REFERRER.value, Role.LEAD_PROFESSIONAL.value)
RecorderOfBirth = Annotated[SignedIn, Depends(signed_in(*RECORDERS))]
BIRTH_FIELDS: Fields = {
    "date_of_birth": ("date_of_birth", "Date of birth"),
    "given_name": ("given_name", "First name"),
    "sex": ("sex", "Sex"),
    "nhs_number": ("nhs_number", "NHS number"),
}


def birth_body(form: Mapping[str, object], on: date) -> tuple[dict[str, object], FormErrors]:
    """The birth API's body from the form: the date of birth (not after `on`), and the name,
    sex and NHS number (its spaces dropped) only when given; and what the form can tell is
    wrong (the API checks it all again)."""
    errors = FormErrors()
    born = past_day(form, "date_of_birth", "date of birth", errors, on)
    body: dict[str, object] = {"date_of_birth": born.isoformat() if born else ""}
    given = str(form.get("given_name", "")).strip()
    if len(given) > ID_CHARS:
        errors.add("given_name", f"First name: at most {ID_CHARS} characters")
    if given:
        body["given_name"] = given
    sex = str(form.get("sex", "")).strip()
    if sex and sex not in SEXES:
        errors.add("sex", "Select the baby's sex from the list")
    if sex:
        body["sex"] = sex
    nhs = national_key(form, "nhs_number")
    if nhs and not nhs_number_valid(nhs):
        errors.add("nhs_number", NHS_NUMBER_WANTED)
    if nhs:
        body["nhs_number"] = nhs
    return body, errors


@router.get("/referrals/{case_id}/birth", response_class=HTMLResponse)
async def birth(
    request: Request, web: WebApp, who: RecorderOfBirth, case_id: uuid.UUID
) -> Response:
    return await _birth_page(web, request, who, case_id)


@router.post("/referrals/{case_id}/birth")
async def record_birth(
    request: Request, web: WebApp, who: RecorderOfBirth, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    body, errors = birth_body(form, today())

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _birth_page(web, request, who, case_id, e, status, form)

    return await send(
        web,
        who,
        form,
        f"/referrals/{case_id}/birth",
        body,
        fields=BIRTH_FIELDS,
        again=again,
        done=case_page(who, case_id),
        found=errors,
    )


def case_page(who: SignedIn, case_id: uuid.UUID) -> str:
    """Where the case is shown to this person: the case page for a lead; a referrer, whom the
    panel service does not show the case page, goes back to the referral's."""
    if who.has(Role.LEAD_PROFESSIONAL.value):
        return f"/cases/{case_id}"
    return f"/referrals/{case_id}"


async def _birth_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: Mapping[str, object] | None = None,
) -> HTMLResponse:
    referral: dict[str, Any] = await web.backend.call(
        who, "GET", "referral", f"/referrals/{case_id}"
    )
    child = referral.get("child")
    if child is None:  # the service shows the child only to those it lets change the record
        raise NotAllowed(
            "The child's details were erased: their record can no longer be changed."
            if referral.get("personal_data_erased")
            else "Only the referring agency, and the case's lead professional where sharing "
            "allows, can see this child's record and record their birth."
        )
    sent = form or {}
    return web.page(
        request,
        "birth.html",
        who,
        status,
        referral=referral,
        child=child,
        form=sent,
        born=date_parts(sent, "date_of_birth", None),
        given_name=sent.get("given_name", child.get("given_name") or ""),
        back=case_page(who, case_id),
        errors=errors or FormErrors(),
    )
