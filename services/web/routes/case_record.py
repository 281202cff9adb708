"""The case record on screens: a case's notes (a correction shown as the correction of the
note it corrects), its chronology in plain words (what, who and why), and the children its
child may already be (to confirm or reject) with the household links to a sibling's
referral. Who may read and write each is the referral service's rule: it decides again on
every call, and records every reading; these pages are for the personas it may let in.

Also what the referral's forms share (`referrer.py` uses it): the county's day, a GOV.UK
date input read, agencies and who gave consent in words, and a write whose refusals land on
the fields they name."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.limits import NOTE_CHARS, TEXT_CHARS
from contracts.reference import Role
from services.web.backend import Invalid, NotAllowed, NotFound, Refused, Unavailable
from services.web.forms import NAMED, FormErrors, request_key
from services.web.pages import (
    PANEL_PEOPLE,
    CheckedForm,
    Web,
    WebApp,
    day_words,
    optional,
    signed_in,
    today,
)
from services.web.sessions import SignedIn

router = APIRouter()

# Who each page is for (the referral service's policy decides again): the child's details,
# notes and chronology go to the referring agency, the case's lead as consent allows, and
# the front door of a case referred to it; notes are written by the first two; a match or a
# household link is decided by those who can read every referral involved.
NOTE_READERS = (Role.REFERRER.value, Role.LEAD_PROFESSIONAL.value, Role.FRONT_DOOR.value)
NOTE_WRITERS = (Role.REFERRER.value, Role.LEAD_PROFESSIONAL.value)
LINKERS = (Role.REFERRER.value, *PANEL_PEOPLE, Role.LEAD_PROFESSIONAL.value)
NoteReader = Annotated[SignedIn, Depends(signed_in(*NOTE_READERS))]
NoteWriter = Annotated[SignedIn, Depends(signed_in(*NOTE_WRITERS))]
Linker = Annotated[SignedIn, Depends(signed_in(*LINKERS))]

AGENCY_NAMES = {
    "social-care": "Children's social care",
    "education": "Education",
    "camhs": "CAMHS",
    "childrens-centres": "Children's centres",
    "housing": "Housing",
    "primary-health": "Primary health",
    "connexions": "Connexions",
    "youth-service": "Youth service",
    "youth-offending": "Youth offending",
    "police": "Police",
    "pvi": "Private, voluntary and independent providers",
    "adult-transition": "Adult transition service",
}
GIVERS = {"parent-carer": "a parent or carer", "young-person": "the young person"}
# The child index's match keys (services.referral.domain.matching.Key), in words: the
# national keys stand alone; the others are bound to the date of birth, as it is or with its
# day and month swapped.
KEYS_MATCHED = {
    "given": "first name",
    "family": "last name",
    "postcode": "postcode",
    "nhs-number": "NHS number",
    "upn": "Unique Pupil Number",
    "given-swapped-dob": "first name",
    "family-swapped-dob": "last name",
}
NATIONAL_KEYS = ("nhs-number", "upn")
SWAPPED_KEYS = ("given-swapped-dob", "family-swapped-dob")
OUTCOMES = {
    "pending-consent": "waiting for consent to share",
    "accepted": "accepted for the district's MAAG",
    "declined": "declined",
    "redirected-to-social-care": "referred to children's social care",
    "paused-consent-withdrawn": "paused: consent withdrawn",
    "received": "received",
}
# An API field -> the form's field it belongs to, and what the form calls it.
Fields = Mapping[str, tuple[str, str]]
Again = Callable[[FormErrors, int], Awaitable[HTMLResponse]]


def agency_words(agency: str | None) -> str:
    if not agency:
        return ""
    return AGENCY_NAMES.get(agency, agency.replace("-", " ").capitalize())


def case_ref(case_id: object) -> str:
    """The short reference the emails give a case (as the `case_ref` filter says it)."""
    return f"MAAG-{str(case_id).split('-')[0].upper()}"


# --- forms -------------------------------------------------------------------------------


def day_of(form: Mapping[str, object], name: str) -> date | None:
    """A GOV.UK date input's day (its `-day`, `-month`, `-year` boxes), if a real date."""
    day, month, year = (str(form.get(f"{name}-{part}", "")).strip() for part in PARTS)
    if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


PARTS = ("day", "month", "year")


def past_day(
    form: Mapping[str, object], name: str, label: str, errors: FormErrors, on: date
) -> date | None:
    """The date input `name`, which must be a real date, `on` or before; else an error
    against it (`label`: what the form calls it, lower case)."""
    if not any(str(form.get(f"{name}-{p}", "")).strip() for p in PARTS):
        errors.add(name, f"Enter the {label}")
        return None
    found = day_of(form, name)
    if found is None:
        errors.add(name, f"Enter the {label} as a real date, for example 27 11 2026")
    elif found > on:
        errors.add(name, f"The {label} must be today or in the past")
    return found


def date_parts(form: Mapping[str, object], name: str, default: date | None) -> dict[str, str]:
    """What a date input shows: as sent, or `default` on a form not yet sent."""
    if any(f"{name}-{p}" in form for p in PARTS):
        return {p: str(form.get(f"{name}-{p}", "")) for p in PARTS}
    if default is None:
        return dict.fromkeys(PARTS, "")
    return {"day": str(default.day), "month": str(default.month), "year": str(default.year)}


def text_of(
    form: Mapping[str, object],
    name: str,
    missing: str,
    errors: FormErrors,
    limit: int = TEXT_CHARS,
) -> str:
    """A text answer, required, at most `limit` characters."""
    value = str(form.get(name, "")).strip()
    if not value:
        errors.add(name, missing)
    elif len(value) > limit:
        errors.add(
            name, f"{missing.removeprefix('Enter ').capitalize()}: at most {limit} characters"
        )
    return value


def refusals(errors: Sequence[Mapping[str, object]], detail: str, fields: Fields) -> FormErrors:
    """The referral API's 422, each reason against the form's field it names."""
    found = FormErrors()
    for e in errors:
        api = str(e.get("field", "")).removeprefix("body.").split(".")[0]
        reason = str(e.get("reason", "is not valid")).removeprefix("Value error, ")
        if api in ("", "body") and (named := NAMED.match(reason)):
            api, reason = named.groups()  # a rule across fields names its own
        if api in fields:
            name, label = fields[api]
            found.add(name, f"{label}: {reason}")
        else:
            found.other.append(f"{api or 'The form'}: {reason}")
    if not found:
        found.other.append(detail)
    return found


def refusal(detail: str, fields: Fields) -> FormErrors:
    """A service's refusal ("<field>: why"), against the form's field it names."""
    named = NAMED.match(detail)
    if named and named.group(1) in fields:
        name, label = fields[named.group(1)]
        return FormErrors(by_field={name: f"{label}: {named.group(2)}"})
    return FormErrors(other=[detail])


async def send(
    web: Web,
    who: SignedIn,
    form: Mapping[str, object],
    path: str,
    body: Mapping[str, object],
    *,
    fields: Fields,
    again: Again,
    done: str,
    found: FormErrors | None = None,
) -> Response:
    """A form's write to the referral service, sent with the form's key (a second click or a
    resubmission records nothing more): then to `done`, or the form again with what the
    service refused, on the field it names. `found`: what the form itself could tell was
    wrong (shown again at once, nothing sent; the service checks everything again)."""
    if found:
        return await again(found, 400)
    try:
        await web.backend.call(
            who, "POST", "referral", path, json=body, idempotency_key=request_key(form)
        )
    except Invalid as e:
        return await again(refusals(e.errors, str(e), fields), 400)
    except Refused as e:
        return await again(refusal(str(e), fields), 409)
    except NotAllowed as e:
        return await again(refusal(str(e), fields), 403)
    except NotFound as e:
        errors = refusal(str(e), fields)
        if not errors.by_field:
            raise  # the case itself: a plain "page not found"
        return await again(errors, 404)
    return RedirectResponse(done, status_code=303)


# --- who did it, in words ------------------------------------------------------------------


async def names(web: Web, actors: Iterable[Mapping[str, Any] | None]) -> dict[str, str]:
    """Each actor's name from the directory (their user id where it does not know them)."""
    wanted = {
        (str(a.get("user_id")), str(a.get("role", ""))) for a in actors if a and a.get("user_id")
    }

    async def name(user_id: str, role: str) -> tuple[str, str]:
        try:
            found = await web.directory.find(user_id, role=role)
        except Unavailable:
            found = None  # the directory not answering: the page still says who, by id
        return user_id, found.name if found else user_id

    return dict(await asyncio.gather(*(name(u, r) for u, r in sorted(wanted))))


def who_words(actor: Mapping[str, Any] | None, named: Mapping[str, str]) -> str:
    """ "Sam Patel (referrer, Education)"."""
    if not actor or not actor.get("user_id"):
        return "MAAG"
    user_id = str(actor["user_id"])
    role = str(actor.get("role", "")).replace("-", " ")
    what = ", ".join(x for x in (role, agency_words(actor.get("agency"))) if x)
    return f"{named.get(user_id, user_id)} ({what})" if what else named.get(user_id, user_id)


# --- notes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteShown:
    """One version of a note, as the page shows it."""

    note_id: str
    at: str
    about_date: str
    author: str
    lines: list[str]  # empty: erased with the child's details
    why_corrected: str | None = None  # on a correction: why the version before was wrong


@dataclass
class Thread:
    """A note and its corrections, oldest first: the last is the note as it stands."""

    first: NoteShown
    corrections: list[NoteShown] = field(default_factory=list)

    @property
    def current(self) -> NoteShown:
        return self.corrections[-1] if self.corrections else self.first


def threads(items: Sequence[Mapping[str, Any]], named: Mapping[str, str]) -> list[Thread]:
    """The chronology's notes, each with its corrections under it, newest note first."""
    notes = {str(n["note_id"]): n for n in items if n.get("kind") == "note"}

    def shown(n: Mapping[str, Any], why: str | None = None) -> NoteShown:
        text = n.get("text")
        return NoteShown(
            note_id=str(n["note_id"]),
            at=str(n.get("at", "")),
            about_date=day_words(n.get("about_date")),
            author=who_words(n.get("author"), named),
            lines=[line for line in str(text).splitlines() if line.strip()] if text else [],
            why_corrected=why,
        )

    found = []
    for n in notes.values():
        if n.get("supersedes"):
            continue  # shown under the note it corrects
        thread, version = Thread(shown(n)), n
        while (by := version.get("superseded")) and str(by.get("by")) in notes:
            version = notes[str(by["by"])]
            thread.corrections.append(shown(version, by.get("reason") or ""))
        found.append(thread)
    return sorted(found, key=lambda t: t.first.at, reverse=True)


def note_body(
    form: Mapping[str, object], on: date, supersedes: str | None = None
) -> tuple[dict[str, object], FormErrors]:
    """The notes API's body from a note's form (a correction names the note it corrects and
    why), and what the form can tell is wrong; the API has the last word."""
    errors = FormErrors()
    text = text_of(form, "text", "Enter the note", errors, NOTE_CHARS)
    about = past_day(form, "about_date", "date the note is about", errors, on)
    body: dict[str, object] = {"text": text, "about_date": about.isoformat() if about else ""}
    if supersedes is not None:
        body["supersedes"] = supersedes
        body["reason"] = text_of(form, "reason", "Enter why the note was wrong", errors)
    return body, errors


NOTE_FIELDS: Fields = {
    "text": ("text", "The note"),
    "about_date": ("about_date", "The date the note is about"),
    "supersedes": ("text", "The note corrected"),
    "reason": ("reason", "Why the note was wrong"),
}


@router.get("/referrals/{case_id}/notes", response_class=HTMLResponse)
async def notes(request: Request, web: WebApp, who: NoteReader, case_id: uuid.UUID) -> Response:
    return await _notes_page(web, request, who, case_id)


@router.post("/referrals/{case_id}/notes")
async def write_note(
    request: Request, web: WebApp, who: NoteWriter, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    body, errors = note_body(form, today())

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _notes_page(web, request, who, case_id, e, status, form)

    return await send(
        web,
        who,
        form,
        f"/referrals/{case_id}/notes",
        body,
        fields=NOTE_FIELDS,
        again=again,
        done=f"/referrals/{case_id}/notes",
        found=errors,
    )


@router.get("/referrals/{case_id}/notes/{note_id}/correction", response_class=HTMLResponse)
async def correction(
    request: Request, web: WebApp, who: NoteWriter, case_id: uuid.UUID, note_id: uuid.UUID
) -> Response:
    return await _correction_page(web, request, who, case_id, note_id)


@router.post("/referrals/{case_id}/notes/{note_id}/correction")
async def correct_note(
    request: Request,
    web: WebApp,
    who: NoteWriter,
    form: CheckedForm,
    case_id: uuid.UUID,
    note_id: uuid.UUID,
) -> Response:
    body, errors = note_body(form, today(), str(note_id))

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _correction_page(web, request, who, case_id, note_id, e, status, form)

    return await send(
        web,
        who,
        form,
        f"/referrals/{case_id}/notes",
        body,
        fields=NOTE_FIELDS,
        again=again,
        done=f"/referrals/{case_id}/notes",
        found=errors,
    )


async def _record(
    web: Web, who: SignedIn, case_id: uuid.UUID
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    """The referral, its chronology (notes in it), and the names of those who acted."""
    call = web.backend.call
    referral, items = await asyncio.gather(
        call(who, "GET", "referral", f"/referrals/{case_id}"),
        call(who, "GET", "referral", f"/referrals/{case_id}/chronology"),
    )
    actors = [i.get("actor") or i.get("author") for i in items]
    return referral, items, await names(web, actors)


async def _notes_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: Mapping[str, object] | None = None,
) -> HTMLResponse:
    referral, items, named = await _record(web, who, case_id)
    sent = form or {}
    return web.page(
        request,
        "notes.html",
        who,
        status,
        referral=referral,
        threads=threads(items, named),
        may_write=who.has(*NOTE_WRITERS) and not referral.get("personal_data_erased"),
        form=sent,
        about=date_parts(sent, "about_date", today()),
        errors=errors or FormErrors(),
    )


async def _correction_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    note_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: Mapping[str, object] | None = None,
) -> HTMLResponse:
    referral, items, named = await _record(web, who, case_id)
    found = next((t for t in threads(items, named) if t.current.note_id == str(note_id)), None)
    if found is None:  # no such note, or corrected already: correct the note as it stands
        raise NotFound(f"note_id: no note {note_id} as it stands on this case")
    note = next(i for i in items if str(i.get("note_id")) == str(note_id))
    sent = form or {}
    return web.page(
        request,
        "notes_correct.html",
        who,
        status,
        referral=referral,
        thread=found,
        form=sent,
        text=sent.get("text", note.get("text") or ""),
        about=date_parts(sent, "about_date", _iso_day(note.get("about_date"))),
        errors=errors or FormErrors(),
    )


def _iso_day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


# --- the chronology ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the chronology: when, what happened, who did it, and why."""

    at: str
    what: str
    who: str
    why: str


def _ref_of(case_id: object) -> str:
    text = str(case_id or "")
    if not text or text.startswith("["):
        return "a referral you cannot see"
    return case_ref(text)


def _what(event: str, d: Mapping[str, Any]) -> tuple[str, str]:
    """An event of the referral as people say it, and why (from its own record)."""
    reason = str(d.get("reason") or "")
    match event:
        case "Referral.Received":
            how = "from the agency's own system" if d.get("channel") == "topic" else ""
            return " ".join(("Referral received", how)).strip(), ""
        case "Referral.MatchesOffered":
            n = len(d.get("offers") or [])
            return (
                f"{n} possible match{'es' if n != 1 else ''} with a child already known",
                "the child index found the same details; a person confirms or rejects",
            )
        case "Referral.Triaged":
            outcome = OUTCOMES.get(str(d.get("outcome")), str(d.get("outcome", "")))
            why = "; ".join(str(x) for x in (d.get("reason"), d.get("signposting")) if x)
            return f"Triage: {outcome}", why
        case "Referral.ConsentRecorded":
            scope = ", ".join(agency_words(a) for a in d.get("scope") or [])
            by = GIVERS.get(str(d.get("given_by")), str(d.get("given_by", "")))
            return (
                f"Consent to share given by {by} on {day_words(d.get('given_on'))}, for: {scope}",
                f"obtained: {d.get('how_obtained') or ''}",
            )
        case "Referral.ConsentWithdrawn":
            goes_on = " (a safeguarding basis remains)" if d.get("basis_remains") else ""
            return f"Consent withdrawn on {day_words(d.get('withdrawn_on'))}{goes_on}", reason
        case "Referral.SafeguardingBasisRecorded":
            return (
                f"Safeguarding basis for sharing without consent, decided by "
                f"{d.get('professional_name') or 'a professional'} on "
                f"{day_words(d.get('recorded_on'))}",
                reason,
            )
        case "Referral.ChildMatchResolved":
            if d.get("confirmed"):
                joins = d.get("joins_case_id")
                joined = f"; joins the open case {_ref_of(joins)}" if joins else ""
                return f"Confirmed: the same child as one already known{joined}", reason
            return "Rejected a possible match: not the same child", reason
        case "Referral.HouseholdLinked":
            sibling = _ref_of(d.get("sibling_case_id"))
            return f"Linked in one household with a sibling's referral ({sibling})", ""
        case "Referral.SentToFrontDoor":
            return "Referred to children's social care's front door", reason
        case "Referral.FrontDoorAnswered":
            if d.get("answer") == "accepted":
                return "Children's social care took the case on", reason
            return "Stepped down by children's social care into the MAAG", reason
        case "Referral.LeadProfessionalNoted":
            return f"Lead professional named ({agency_words(d.get('agency'))})", ""
        case "Referral.LeadProfessionalEnded":
            return "The lead professional's access ended", reason
        case "Referral.TierNoted":
            return f"Moved to the {str(d.get('panel', '')).upper()}", ""
        case "Referral.ClosedAtPanel":
            return "Closed by the panel", reason
        case "Referral.PersonalDataErased":
            return "The child's details erased", reason
        case "Referral.LegalHoldPlaced":
            return f"Legal hold placed until {day_words(d.get('until'))}", reason
        case "Referral.LegalHoldReleased":
            return "Legal hold released", reason
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", event.rsplit(".", 1)[-1]).lower()
    return words[:1].upper() + words[1:], reason


def chronology_rows(items: Sequence[Mapping[str, Any]], named: Mapping[str, str]) -> list[Row]:
    """The case's events and notes in the order they happened, in plain words."""
    rows = []
    for i in items:
        if i.get("kind") == "note":
            corrects = " (a correction)" if i.get("supersedes") else ""
            by = i.get("superseded")
            later = f"Corrected later: {by.get('reason') or ''}. " if by else ""
            text = str(i.get("text") or "[erased with the child's details]")
            rows.append(
                Row(
                    at=str(i.get("at", "")),
                    what=f"Note about {day_words(i.get('about_date'))}{corrects}",
                    who=who_words(i.get("author"), named),
                    why=f"{later}{text}",
                )
            )
            continue
        what, why = _what(str(i.get("event", "")), i.get("details") or {})
        rows.append(Row(str(i.get("at", "")), what, who_words(i.get("actor"), named), why))
    return rows


@router.get("/referrals/{case_id}/chronology", response_class=HTMLResponse)
async def chronology(
    request: Request, web: WebApp, who: NoteReader, case_id: uuid.UUID
) -> Response:
    referral, items, named = await _record(web, who, case_id)
    return web.page(
        request, "chronology.html", who, referral=referral, entries=chronology_rows(items, named)
    )


# --- likely matches and household ----------------------------------------------------------

MATCH_FIELDS_OF = "decision-{n}", "match_reason-{n}"
HOUSEHOLD_FIELDS: Fields = {"sibling_case_id": ("sibling_case_id", "The sibling's referral")}


@router.get("/referrals/{case_id}/matches", response_class=HTMLResponse)
async def matches(request: Request, web: WebApp, who: Linker, case_id: uuid.UUID) -> Response:
    return await _matches_page(web, request, who, case_id)


@router.post("/referrals/{case_id}/child-match")
async def resolve_match(
    request: Request, web: WebApp, who: Linker, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    body, errors, n = match_body(form)

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _matches_page(web, request, who, case_id, e, status, form, "match")

    if errors:
        return await again(errors, 400)
    decision, reason = (f.format(n=n) for f in MATCH_FIELDS_OF)
    fields: Fields = {
        "child_id": (decision, "The match"),
        "decision": (decision, "Whether this is the same child"),
        "reason": (reason, "Why"),
    }
    return await send(
        web,
        who,
        form,
        f"/referrals/{case_id}/child-match",
        body,
        fields=fields,
        again=again,
        done=f"/referrals/{case_id}/matches",
    )


def match_body(form: Mapping[str, object]) -> tuple[dict[str, object], FormErrors, str]:
    """The API's body from one match's form (each offer has its own, numbered), what the form
    can tell is wrong, and the offer's number."""
    n = str(form.get("offer", "1"))
    n = n if n.isdigit() else "1"
    decision, reason_field = (f.format(n=n) for f in MATCH_FIELDS_OF)
    errors = FormErrors()
    child_id = str(form.get("child_id", ""))
    try:
        uuid.UUID(child_id)
    except ValueError:
        errors.add(decision, "Choose a match from this page")
    chosen = str(form.get(decision, ""))
    if chosen not in ("confirm", "reject"):
        errors.add(decision, "Select whether this is the same child")
    reason = text_of(form, reason_field, "Enter why you decided so", errors)
    return {"child_id": child_id, "decision": chosen, "reason": reason}, errors, n


@router.post("/referrals/{case_id}/household")
async def link_household(
    request: Request, web: WebApp, who: Linker, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    sibling = str(form.get("sibling_case_id", "")).strip()

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _matches_page(web, request, who, case_id, e, status, form, "household")

    try:
        uuid.UUID(sibling)
    except ValueError:
        return await again(
            FormErrors(by_field={"sibling_case_id": "Select the sibling's referral"}), 400
        )
    return await send(
        web,
        who,
        form,
        f"/referrals/{case_id}/household",
        {"sibling_case_id": sibling},
        fields=HOUSEHOLD_FIELDS,
        again=again,
        done=f"/referrals/{case_id}/matches",
    )


async def _matches_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: Mapping[str, object] | None = None,
    sent_from: str = "",
) -> HTMLResponse:
    call = web.backend.call
    referral, offers, listed = await asyncio.gather(
        call(who, "GET", "referral", f"/referrals/{case_id}"),
        call(who, "GET", "referral", f"/referrals/{case_id}/matches"),
        optional(call(who, "GET", "referral", "/referrals")),
    )
    child = referral.get("child_id")
    record = await optional(call(who, "GET", "referral", f"/children/{child}")) if child else None
    household = (record or {}).get("household") or []
    # each offered child's referrals, as this person may read them (each reading recorded)
    theirs = [str(r) for o in offers for r in o.get("referrals", [])]
    found = await asyncio.gather(
        *(optional(call(who, "GET", "referral", f"/referrals/{r}")) for r in theirs)
    )
    known = {r: f for r, f in zip(theirs, found, strict=True) if f}
    # a sibling is another child: not this referral, nor one already linked, nor one of a
    # child this one may be
    not_siblings = {str(case_id), *theirs, *(str(h["case_id"]) for h in household)}
    candidates = [r for r in listed or [] if str(r["case_id"]) not in not_siblings]
    return web.page(
        request,
        "matches.html",
        who,
        status,
        referral=referral,
        offers=offers,
        known=known,
        household=household,
        candidates=candidates,
        keys=KEYS_MATCHED,
        national=NATIONAL_KEYS,
        swapped=SWAPPED_KEYS,
        form=form or {},
        sent_from=sent_from,
        errors=errors or FormErrors(),
    )
