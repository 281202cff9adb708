"""Children's social care's front door (the MASH): the cases referred to it, and on a case
its answer, taken on by social care or stepped down into the district's MAAG. The referral
service decides again who may read and answer each case, and records every reading."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from contracts.reference import Role, SocialCareAnswer
from services.web.forms import FormErrors
from services.web.pages import CheckedForm, Web, WebApp, signed_in
from services.web.sessions import SignedIn

router = APIRouter()
FrontDoor = Annotated[SignedIn, Depends(signed_in(Role.FRONT_DOOR.value))]


@router.get("/front-door", response_class=HTMLResponse)
async def front_door(
    request: Request, web: WebApp, who: FrontDoor, answered: bool = False
) -> Response:
    """The cases waiting for an answer (with `answered`, those answered too), newest first."""
    waiting = "false" if answered else "true"
    rows = await web.backend.call(
        who, "GET", "referral", "/front-door", params={"waiting": waiting}
    )
    return web.page(request, "front_door.html", who, rows=rows, answered=answered)


@router.get("/front-door/{case_id}", response_class=HTMLResponse)
async def front_door_case(
    request: Request, web: WebApp, who: FrontDoor, case_id: uuid.UUID
) -> Response:
    return await _case_page(web, request, who, case_id)


@router.post("/front-door/{case_id}")
async def answer(
    request: Request, web: WebApp, who: FrontDoor, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    body, errors = answer_body(form)
    if errors:  # what the form itself can tell, by field; the API checks it all again
        return await _case_page(web, request, who, case_id, errors, 400, form)
    return await web.write(
        who,
        form,
        "POST",
        "referral",
        f"/referrals/{case_id}/front-door",
        body,
        again=lambda e, status: _case_page(web, request, who, case_id, e, status, form),
        done="/front-door",
    )


def answer_body(form: Mapping[str, object]) -> tuple[dict[str, object], FormErrors]:
    """The referral API's body from the answer form, and what is missing from it (the API
    has the last word, its limits included)."""
    errors = FormErrors()

    def text(name: str) -> str:
        return str(form.get(name, "")).strip()

    if text("answer") not in {a.value for a in SocialCareAnswer}:
        errors.add("answer", "Select whether children's social care takes the case on")
    if not text("reason"):
        errors.add("reason", "Enter the reason for the answer")
    body: dict[str, object] = {
        "answer": text("answer"),
        "reason": text("reason"),
        "reference": text("reference") or None,  # optional: social care's own record
    }
    return body, errors


async def _case_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: Mapping[str, object] | None = None,
) -> HTMLResponse:
    found = await web.backend.call(who, "GET", "referral", f"/referrals/{case_id}")
    return web.page(
        request,
        "front_door_case.html",
        who,
        status,
        referral=found,
        form=form or {},
        errors=errors or FormErrors(),
    )
