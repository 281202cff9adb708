"""The case's Early Help Assessment on screens: the assessment as it stands (every heading
written, by domain of the Assessment Framework's triangle), its earlier versions and
reviews, a form for a new version (filled with the current one, so a change starts from what
stands), and the buttons its lifecycle allows (authorise, review, close). Those who may read
the case but not the child's details (the panel, an auditor, a lead without consent) see the
summary the referral service gives them: where it stands, when, and for each heading only
whether needs were recorded. The referral service decides again on every call."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.reference import Role
from services.web.backend import Invalid, NotAllowed, NotFound, Refused
from services.web.forms import FormErrors, request_key
from services.web.pages import PANEL_PEOPLE, CheckedForm, Web, WebApp, signed_in, today
from services.web.routes.case_record import (
    NOTE_READERS,
    NOTE_WRITERS,
    Fields,
    date_parts,
    names,
    past_day,
    refusal,
    send,
    text_of,
    who_words,
)
from services.web.sessions import SignedIn

router = APIRouter()

# Who the page is for: those who may read the assessment, and those who may read its summary
# (the referral service's policy decides again).
READERS = (*NOTE_READERS, *PANEL_PEOPLE, Role.AUDITOR.value)
Reader = Annotated[SignedIn, Depends(signed_in(*READERS))]
Writer = Annotated[SignedIn, Depends(signed_in(*NOTE_WRITERS))]

# The Assessment Framework's headings in words, by domain, as the referral service declares
# them (`tests/unit/services/web/routes/test_assessment.py` holds the two to each other).
DOMAINS: dict[str, tuple[str, dict[str, str]]] = {
    "child_development": (
        "The child's developmental needs",
        {
            "health": "Health",
            "education": "Education",
            "emotional-and-behavioural-development": "Emotional and behavioural development",
            "identity": "Identity",
            "family-and-social-relationships": "Family and social relationships",
            "social-presentation": "Social presentation",
            "self-care-skills": "Self-care skills",
        },
    ),
    "parenting_capacity": (
        "Parenting capacity",
        {
            "basic-care": "Basic care",
            "ensuring-safety": "Ensuring safety",
            "emotional-warmth": "Emotional warmth",
            "stimulation": "Stimulation",
            "guidance-and-boundaries": "Guidance and boundaries",
            "stability": "Stability",
        },
    ),
    "family_and_environment": (
        "Family and environmental factors",
        {
            "family-history-and-functioning": "Family history and functioning",
            "wider-family": "Wider family",
            "housing": "Housing",
            "employment": "Employment",
            "income": "Income",
            "family-social-integration": "Family's social integration",
            "community-resources": "Community resources",
        },
    ),
}
VIEWS = {
    "child_voice": "The child's voice",
    "parents_view": "The parents' or carers' view",
    "analysis": "Summary of the analysis",
}
KINDS = ("strengths", "needs")
STATUS_WORDS = {
    "draft": "Draft: to be authorised",
    "authorised": "Authorised",
    "reviewed": "Authorised and reviewed",
    "closed": "Closed",
}
REVIEW_FIELDS: Fields = {
    "reviewed_on": ("reviewed_on", "The date of the review"),
    "note": ("note", "The review's note"),
    "review": ("note", "The review"),
}
CLOSURE_FIELDS: Fields = {
    "reason": ("reason", "Why it is closed"),
    "closure": ("reason", "Closing it"),
}
AUTHORISATION_FIELDS: Fields = {
    "version": ("authorise", "The version"),
    "authorisation": ("authorise", "Authorising it"),
}


def field_id(domain: str, heading: str, kind: str) -> str:
    """A heading's box: its name in the form and its id on the page."""
    return f"{domain}-{heading}-{kind}"


@dataclass(frozen=True)
class HeadingShown:
    label: str
    strengths: str | None
    needs: str | None


@dataclass(frozen=True)
class DomainShown:
    title: str
    headings: list[HeadingShown]  # only those written


def shown(content: Mapping[str, Any] | None) -> list[DomainShown]:
    """One version's headings written, by domain, in the framework's order."""
    if not content:
        return []
    found = []
    for domain, (title, headings) in DOMAINS.items():
        written = content.get(domain) or {}
        rows = [
            HeadingShown(label, written[h].get("strengths"), written[h].get("needs"))
            for h, label in headings.items()
            if h in written
        ]
        found.append(DomainShown(title, rows))
    return found


def assessment_body(form: Mapping[str, object], errors: FormErrors) -> dict[str, object]:
    """The API's body from the form: every heading written (an empty one left out), the
    views, and the date of the assessment; the API checks it again."""
    on = past_day(form, "assessed_on", "date of the assessment", errors, today())
    body: dict[str, object] = {"assessed_on": on.isoformat() if on else ""}
    for domain, (_, headings) in DOMAINS.items():
        written: dict[str, dict[str, str]] = {}
        for heading in headings:
            texts = {
                k: v
                for k in KINDS
                if (v := str(form.get(field_id(domain, heading, k), "")).strip())
            }
            if texts:
                written[heading] = texts
        body[domain] = written
    for name in VIEWS:
        if value := str(form.get(name, "")).strip():
            body[name] = value
    return body


def version_fields() -> Fields:
    """The API's fields (as its 422 names them, under `body.`) -> the form's boxes."""
    fields: dict[str, tuple[str, str]] = {
        "assessed_on": ("assessed_on", "The date of the assessment"),
        "assessment": ("assessed_on", "The assessment"),
        "case_id": ("assessed_on", "The case"),
        **{name: (name, label) for name, label in VIEWS.items()},
    }
    for domain, (_, headings) in DOMAINS.items():
        for heading, label in headings.items():
            for kind in KINDS:
                box = field_id(domain, heading, kind)
                fields[f"{domain}.{heading}.{kind}"] = (box, f"{label}: {kind}")
    return fields


def version_refusals(errors: Sequence[Mapping[str, object]], detail: str) -> FormErrors:
    """The API's 422 for a version, each reason beside the heading's box it names."""
    fields = version_fields()
    found = FormErrors()
    for e in errors:
        path = str(e.get("field", "")).removeprefix("body.")
        reason = str(e.get("reason", "is not valid")).removeprefix("Value error, ")
        box = fields.get(path) or fields.get(path.split(".")[0])
        if box is not None:
            found.add(box[0], f"{box[1]}: {reason}")
        else:
            found.other.append(f"{path or 'The form'}: {reason}")
    if not found:
        found.other.append(detail)
    return found


def current_answers(view: Mapping[str, Any] | None) -> dict[str, str]:
    """The form filled with the version as it stands (a change starts from it)."""
    if not view or not view.get("versions"):
        return {}
    content = view["versions"][-1].get("content") or {}
    answers = {
        field_id(domain, heading, kind): str(finding.get(kind) or "")
        for domain in DOMAINS
        for heading, finding in (content.get(domain) or {}).items()
        for kind in KINDS
    }
    answers.update({name: str(content.get(name) or "") for name in VIEWS})
    return answers


# --- the page ------------------------------------------------------------------------------


@router.get("/referrals/{case_id}/assessment", response_class=HTMLResponse)
async def assessment(request: Request, web: WebApp, who: Reader, case_id: uuid.UUID) -> Response:
    return await _page(web, request, who, case_id)


@router.post("/referrals/{case_id}/assessment")
async def record(
    request: Request, web: WebApp, who: Writer, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    errors = FormErrors()
    body = assessment_body(form, errors)

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _page(web, request, who, case_id, e, status, form, "version")

    if errors:
        return await again(errors, 400)
    done = f"/referrals/{case_id}/assessment"
    try:
        await web.backend.call(
            who, "POST", "referral", done, json=body, idempotency_key=request_key(form)
        )
    except Invalid as e:  # each reason beside the heading's box it names
        return await again(version_refusals(e.errors, str(e)), 400)
    except Refused as e:
        return await again(refusal(str(e), version_fields()), 409)
    except NotAllowed as e:
        return await again(refusal(str(e), version_fields()), 403)
    return RedirectResponse(done, status_code=303)


@router.post("/referrals/{case_id}/assessment/authorisation")
async def authorise(
    request: Request, web: WebApp, who: Writer, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _page(web, request, who, case_id, e, status, form, "authorise")

    version = str(form.get("version", ""))
    if not version.isdigit():
        return await again(FormErrors(other=["Authorise the version shown on this page"]), 400)
    done = f"/referrals/{case_id}/assessment"
    return await send(
        web,
        who,
        form,
        f"{done}/authorisation",
        {"version": int(version)},
        fields=AUTHORISATION_FIELDS,
        again=again,
        done=done,
    )


@router.post("/referrals/{case_id}/assessment/reviews")
async def review(
    request: Request, web: WebApp, who: Writer, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    errors = FormErrors()
    on = past_day(form, "reviewed_on", "date of the review", errors, today())
    note = text_of(form, "note", "Enter what the review found", errors)

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _page(web, request, who, case_id, e, status, form, "review")

    if errors:
        return await again(errors, 400)
    done = f"/referrals/{case_id}/assessment"
    body = {"reviewed_on": on.isoformat() if on else "", "note": note}
    return await send(
        web, who, form, f"{done}/reviews", body, fields=REVIEW_FIELDS, again=again, done=done
    )


@router.post("/referrals/{case_id}/assessment/closure")
async def close(
    request: Request, web: WebApp, who: Writer, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    errors = FormErrors()
    reason = text_of(form, "reason", "Enter why the assessment is closed", errors)

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _page(web, request, who, case_id, e, status, form, "close")

    done = f"/referrals/{case_id}/assessment"
    return await send(
        web,
        who,
        form,
        f"{done}/closure",
        {"reason": reason},
        fields=CLOSURE_FIELDS,
        again=again,
        done=done,
        found=errors,
    )


async def _assessment(
    web: Web, who: SignedIn, case_id: uuid.UUID
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The whole assessment if this person may read it, else its summary if they may read
    that; (None, None): none recorded yet."""
    call = web.backend.call
    path = f"/referrals/{case_id}/assessment"
    try:
        return await call(who, "GET", "referral", path), None
    except NotFound:
        return None, None
    except NotAllowed:
        pass
    try:
        return None, await call(who, "GET", "referral", f"{path}/summary")
    except NotFound:
        return None, None


async def _page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: Mapping[str, object] | None = None,
    sent_from: str = "",
) -> HTMLResponse:
    referral, (view, summary) = await asyncio.gather(
        web.backend.call(who, "GET", "referral", f"/referrals/{case_id}"),
        _assessment(web, who, case_id),
    )
    versions = (view or {}).get("versions") or []
    current = versions[-1] if versions else None
    state = (view or summary or {}).get("status")
    erased = bool(referral.get("personal_data_erased"))
    writer = who.has(*NOTE_WRITERS) and not erased and summary is None and state != "closed"
    actors = [v.get("assessed_by") for v in versions]
    actors += [(v.get("authorised") or {}).get("by") for v in versions]
    actors += [r.get("by") for r in (view or {}).get("reviews") or []]
    actors += [((view or {}).get("closure") or {}).get("by")]
    named = await names(web, [_actor(a) for a in actors if a])
    sent = form or {}
    answers = {**current_answers(view), **{k: str(v) for k, v in sent.items()}}
    return web.page(
        request,
        "assessment.html",
        who,
        status,
        referral=referral,
        view=view,
        summary=summary,
        current=current,
        versions=versions,
        domains=shown((current or {}).get("content")),
        status_words=STATUS_WORDS,
        by=lambda p: who_words(_actor(p), named) if p else "",
        headings=DOMAINS,
        views=VIEWS,
        kinds=KINDS,
        field_id=field_id,
        may_record=writer,
        may_authorise=writer
        and state == "draft"
        and (current or {}).get("assessed_by", {}).get("professional_id") != who.user_id,
        may_review=writer and state in ("authorised", "reviewed"),
        may_close=writer and view is not None,
        answers=answers,
        assessed=date_parts(sent, "assessed_on", today()),
        reviewed=date_parts(sent, "reviewed_on", today()),
        sent_from=sent_from,
        errors=errors or FormErrors(),
    )


def _actor(p: Mapping[str, Any]) -> dict[str, str]:
    """A professional as the name lookup and `who_words` take them."""
    return {"user_id": str(p.get("professional_id", "")), "agency": str(p.get("agency", ""))}
