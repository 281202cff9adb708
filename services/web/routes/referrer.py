"""The referrer's pages: make a referral, see the referrals, and on a referral record consent
(who gave it, on what day, for which agencies) or record it again (reconfirmed with the
family), its withdrawal, or a safeguarding basis (the panel's people and the case's lead
professional may change a referral too, and auditors read the list); and the referrer's
work tray on the home page: referrals waiting for consent, and those declined or ended."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, TypedDict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.reference import Agency, District, Role
from services.web.backend import Invalid, Refused
from services.web.forms import FormErrors, api_errors, referral_body, refused_errors, request_key
from services.web.pages import (
    PANEL_PEOPLE,
    CheckedForm,
    Person,
    Web,
    WebApp,
    county_date,
    signed_in,
    today,
)
from services.web.routes.case_record import (
    AGENCY_NAMES,
    GIVERS,
    LINKERS,
    NOTE_READERS,
    Fields,
    case_ref,
    date_parts,
    past_day,
    send,
    text_of,
)
from services.web.sessions import SignedIn

router = APIRouter()
Referrer = Annotated[SignedIn, Depends(signed_in(Role.REFERRER.value))]
ReaderOfReferrals = Annotated[
    SignedIn, Depends(signed_in(Role.REFERRER.value, *PANEL_PEOPLE, Role.AUDITOR.value))
]
ChangerOfReferrals = Annotated[SignedIn, Depends(signed_in(Role.REFERRER.value, *PANEL_PEOPLE))]
# The lead professional works with the family and records its consent again (reconfirmed);
# the referral service lets only the case's current lead whose agency may read the child
# (`policy.Action.RECORD_CONSENT`). Withdrawing consent and a safeguarding basis stay with the
# referrer and the panel.
RECORDERS = (Role.REFERRER.value, *PANEL_PEOPLE, Role.LEAD_PROFESSIONAL.value)
RecorderOfConsent = Annotated[SignedIn, Depends(signed_in(*RECORDERS))]
# A referral the service has finished with: consent or a basis changes nothing any more.
DECIDED = ("declined", "redirected-to-social-care")
# The work tray: referrals waiting for consent (the service sets no time limit on the wait:
# the tray says since when), and those declined or ended in the last four weeks.
WAITING = ("pending-consent", "paused-consent-withdrawn")
ENDED_SHOWN_DAYS = 28


class Made(TypedDict):
    """The referral API's answer to a new referral (what the page reads of it)."""

    case_id: str


@router.get("/referrals/new", response_class=HTMLResponse)
async def new_referral(request: Request, web: WebApp, who: Referrer) -> Response:
    return _form_page(web, request, who, {}, [], FormErrors())


@router.post("/referrals", response_class=HTMLResponse)
async def submit_referral(
    request: Request, web: WebApp, who: Referrer, form: CheckedForm
) -> Response:
    agencies = [str(a) for a in form.getlist("agencies")]
    body, errors = referral_body(form, agencies, who.agency, who.user_id, today())
    if errors:
        return _form_page(web, request, who, form, agencies, errors, 400)
    try:
        made: Made = await web.backend.call(
            who, "POST", "referral", "/referrals", json=body, idempotency_key=request_key(form)
        )
    except Invalid as e:
        return _form_page(web, request, who, form, agencies, api_errors(e.errors, str(e)), 400)
    except Refused as e:  # e.g. consent named someone not among the child's carers
        return _form_page(web, request, who, form, agencies, refused_errors(str(e)), 409)
    return RedirectResponse(f"/referrals/{made['case_id']}", status_code=303)


@router.get("/referrals", response_class=HTMLResponse)
async def referrals(request: Request, web: WebApp, who: ReaderOfReferrals) -> Response:
    rows = await web.backend.call(who, "GET", "referral", "/referrals")
    return web.page(request, "referrals.html", who, referrals=rows)


@router.get("/referrals/{case_id}", response_class=HTMLResponse)
async def referral(request: Request, web: WebApp, who: Person, case_id: uuid.UUID) -> Response:
    return await _referral_page(web, request, who, case_id)


# --- consent, its withdrawal, a safeguarding basis -----------------------------------------

CONSENT_FIELDS: Fields = {
    "given_by": ("given_by", "Who gave consent"),
    "scope": ("scope", "Agencies that may share information"),
    "given_on": ("given_on", "Date consent was given"),
    "how_obtained": ("how_obtained", "How consent was obtained"),
    "given_by_name": ("given_by_name", "Their name"),
    # the referral service's rule about who may give it names the consent's field
    "consent.given_by_name": ("given_by_name", "Their name"),
}
WITHDRAWAL_FIELDS: Fields = {
    "withdrawn_on": ("withdrawn_on", "Date consent was withdrawn"),
    "reason": ("withdraw_reason", "Why consent was withdrawn"),
}
BASIS_FIELDS: Fields = {
    "recorded_on": ("recorded_on", "Date the basis was decided"),
    "reason": ("basis_reason", "Why sharing without consent is justified"),
    "professional_id": ("basis_reason", "The professional who decided"),
    "professional_name": ("basis_reason", "The professional who decided"),
}


def consent_body(form: Any, on: date) -> tuple[dict[str, object], FormErrors]:
    """The consent API's body from the form: who gave it, the agencies it lets share (as
    narrow as the family chose), the day it was given (not after `on`), and how it was
    obtained; and what the form can tell is wrong (the API checks it all again)."""
    errors = FormErrors()
    given_by = str(form.get("given_by", ""))
    if given_by not in GIVERS:
        errors.add("given_by", "Select who gave consent")
    scope = [str(a) for a in form.getlist("scope")]
    if not scope:
        errors.add("scope", "Select at least one agency the family agreed may share information")
    elif any(a not in AGENCY_NAMES for a in scope):
        errors.add("scope", "Select the agencies from the list")
    given_on = past_day(form, "given_on", "date consent was given", errors, on)
    how = text_of(form, "how_obtained", "Enter how consent was obtained", errors)
    body: dict[str, object] = {
        "given_by": given_by,
        "scope": scope,
        "given_on": given_on.isoformat() if given_on else "",
        "how_obtained": how,
    }
    # who gave it, by name (the referral service holds it to the child's recorded carers)
    if name := " ".join(str(form.get("given_by_name", "")).split()):
        body["given_by_name"] = name
    return body, errors


def withdrawal_body(form: Any, on: date) -> tuple[dict[str, object], FormErrors]:
    errors = FormErrors()
    withdrawn_on = past_day(form, "withdrawn_on", "date consent was withdrawn", errors, on)
    reason = text_of(form, "withdraw_reason", "Enter why consent was withdrawn", errors)
    body: dict[str, object] = {
        "withdrawn_on": withdrawn_on.isoformat() if withdrawn_on else "",
        "reason": reason,
    }
    return body, errors


def basis_body(form: Any, who: SignedIn, on: date) -> tuple[dict[str, object], FormErrors]:
    """The safeguarding basis as the service defines it: the named professional who decided
    (the signed-in person, who records it), why, and on what day."""
    errors = FormErrors()
    recorded_on = past_day(form, "recorded_on", "date the basis was decided", errors, on)
    reason = text_of(form, "basis_reason", "Enter why sharing without consent is justified", errors)
    body: dict[str, object] = {
        "professional_id": who.user_id,
        "professional_name": who.name or who.user_id,
        "reason": reason,
        "recorded_on": recorded_on.isoformat() if recorded_on else "",
    }
    return body, errors


@router.post("/referrals/{case_id}/consent")
async def record_consent(
    request: Request, web: WebApp, who: RecorderOfConsent, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    body, errors = consent_body(form, today())
    return await _change(web, request, who, form, case_id, "consent", body, errors)


@router.post("/referrals/{case_id}/withdrawal")
async def withdraw_consent(
    request: Request, web: WebApp, who: ChangerOfReferrals, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    body, errors = withdrawal_body(form, today())
    return await _change(web, request, who, form, case_id, "withdrawal", body, errors)


@router.post("/referrals/{case_id}/safeguarding-basis")
async def record_safeguarding_basis(
    request: Request, web: WebApp, who: ChangerOfReferrals, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    body, errors = basis_body(form, who, today())
    return await _change(web, request, who, form, case_id, "safeguarding-basis", body, errors)


# each change form: the referral API's path under the referral, and its fields
CHANGES: dict[str, tuple[str, Fields]] = {
    "consent": ("consent", CONSENT_FIELDS),
    "withdrawal": ("consent/withdrawal", WITHDRAWAL_FIELDS),
    "safeguarding-basis": ("safeguarding-basis", BASIS_FIELDS),
}


async def _change(
    web: Web,
    request: Request,
    who: SignedIn,
    form: Any,
    case_id: uuid.UUID,
    action: str,
    body: Mapping[str, object],
    errors: FormErrors,
) -> Response:
    """Consent given or withdrawn, or a safeguarding basis recorded, on a referral: what the
    form can tell is wrong said on its page first, then what the service refuses."""
    path, fields = CHANGES[action]

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _referral_page(web, request, who, case_id, e, status, form, action)

    return await send(
        web,
        who,
        form,
        f"/referrals/{case_id}/{path}",
        body,
        fields=fields,
        again=again,
        done=f"/referrals/{case_id}",
        found=errors,
    )


# --- the pages -----------------------------------------------------------------------------


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
    form: Any = None,
    sent_from: str = "",
) -> HTMLResponse:
    found = await web.backend.call(who, "GET", "referral", f"/referrals/{case_id}")
    sent: Any = form or {}
    on = today()
    # the consent form's agencies: as sent, or (not yet sent) those of the consent in force
    # (to reconfirm), else those the referral asked for
    consent = found.get("consent") or {}
    asked = (
        consent.get("scope") or found.get("agencies_requested") or [found.get("referring_agency")]
    )
    scope = [str(a) for a in sent.getlist("scope")] if sent_from == "consent" else asked
    open_ = found["status"] not in DECIDED and not found.get("ended")
    return web.page(
        request,
        "referral.html",
        who,
        status,
        referral=found,
        # nothing about consent changes once the case was declined, redirected, or ended
        may_record=who.has(*RECORDERS) and open_,
        may_change=who.has(Role.REFERRER.value, *PANEL_PEOPLE) and open_,
        may_read_notes=who.has(*NOTE_READERS),
        may_link=who.has(*LINKERS),
        agencies=AGENCY_NAMES,
        givers=GIVERS,
        scope=scope,
        form=sent,
        sent_from=sent_from,
        today_iso=on.isoformat(),
        given_on=date_parts(sent, "given_on", on),
        withdrawn_on=date_parts(sent, "withdrawn_on", on),
        recorded_on=date_parts(sent, "recorded_on", on),
        errors=errors or FormErrors(),
    )


# --- the referrer's work tray --------------------------------------------------------------


@dataclass(frozen=True)
class TrayItem:
    """One referral waiting for the referrer, or declined or ended lately."""

    case_id: str
    reference: str
    district: str
    what: str
    why: str
    since: str  # the day it came to stand so (ISO)
    state: str
    tag: str  # the GOV.UK tag's colour class


async def referrer_tray(web: Web, who: SignedIn) -> dict[str, list[TrayItem]]:
    """The referrer's work: their agency's referrals waiting for consent (since when), and
    those declined, taken on by children's social care or closed by a panel in the last
    four weeks, with why. Each links to its referral, where the work is done; a waiting one
    clears once consent or a safeguarding basis is recorded."""
    since = today() - timedelta(days=ENDED_SHOWN_DAYS)
    waiting_query = "&".join(f"status={s}" for s in WAITING)
    waiting, lately = await asyncio.gather(
        web.backend.call(who, "GET", "referral", f"/referrals?{waiting_query}"),
        web.backend.call(who, "GET", "referral", "/referrals", params={"since": since.isoformat()}),
    )
    return {"waiting": waiting_items(waiting, today()), "ended": ended_items(lately)}


def waiting_items(rows: Sequence[Mapping[str, Any]], on: date) -> list[TrayItem]:
    """Referrals waiting for consent, the longest waiting first."""
    found = []
    for r in rows:
        if r.get("status") not in WAITING or r.get("ended"):  # an ended case waits for none
            continue
        since = str(r.get("status_since") or r.get("received_at") or "")
        days = (on - (county_date(since) or on)).days
        paused = r.get("status") == "paused-consent-withdrawn"
        found.append(
            TrayItem(
                case_id=str(r["case_id"]),
                reference=str(r.get("caf_reference") or case_ref(r["case_id"])),
                district=str(r.get("district", "")).replace("-", " ").title(),
                what=(
                    "Consent withdrawn: the case is paused. Record consent again, or a "
                    "safeguarding basis"
                    if paused
                    else "Record the family's consent to share, or a safeguarding basis"
                ),
                why=str(r.get("reason") or ""),
                since=since,
                state=f"Waiting {days} day{'s' if days != 1 else ''}",
                tag="govuk-tag--blue",
            )
        )
    return sorted(found, key=lambda i: i.since)


def ended_items(rows: Sequence[Mapping[str, Any]]) -> list[TrayItem]:
    """Referrals declined at triage, or whose case was taken on by children's social care or
    closed by a panel, newest first."""
    found = []
    for r in rows:
        ended = r.get("ended")
        if ended:
            how = ended.get("how")
            what = (
                "Closed by the panel"
                if how == "closed-at-panel"
                else "Taken on by children's social care: not a MAAG case"
            )
            why = str(ended.get("reason") or "Social care's answer is on the referral")
            since, state, tag = str(ended.get("on", "")), "Ended", "govuk-tag--grey"
        elif r.get("status") == "declined":
            what = "Declined at triage: tell the family, and see the signposting"
            why = str(r.get("reason") or "")
            since = str(r.get("status_since") or r.get("received_at") or "")
            state, tag = "Declined", "govuk-tag--red"
        else:
            continue
        found.append(
            TrayItem(
                case_id=str(r["case_id"]),
                reference=str(r.get("caf_reference") or case_ref(r["case_id"])),
                district=str(r.get("district", "")).replace("-", " ").title(),
                what=what,
                why=why,
                since=since,
                state=state,
                tag=tag,
            )
        )
    return sorted(found, key=lambda i: i.since, reverse=True)
