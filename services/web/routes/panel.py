"""The panel's pages: its meetings, and at a meeting the agenda, circulating it to the
panel's members before its cut-off (a coordinator or chair: anyone who sits on the panel),
confirming attendance or sending apologies, declaring an interest in a case listed (before it
is decided), and the chair's decisions and minutes on each case listed, while the meeting
sits (auditors read the meetings too); from a case's page, a panel member calls its panel to
meet now on it. The chair picks a lead professional from the directory of people, never by
typing who."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Required, TypedDict

import httpx
import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from contracts.reference import JAP_FUNDERS, Agency, AvoidedOutcome, ClosureOutcome, Panel, Role
from services.web.backend import Invalid, Refused, Unavailable
from services.web.decisions import decision_body
from services.web.forms import FormErrors, request_key
from services.web.pages import (
    LONDON,
    PANEL_PEOPLE,
    Again,
    CheckedForm,
    Web,
    WebApp,
    optional,
    signed_in,
)
from services.web.routes.lead import case_page
from services.web.sessions import SignedIn

log = structlog.get_logger("maag.web")
# Who may lead a case: the directory's people in this role (the chair picks one of them).
LEAD_ROLE = Role.LEAD_PROFESSIONAL.value

router = APIRouter()
PanelPerson = Annotated[SignedIn, Depends(signed_in(*PANEL_PEOPLE))]
ReaderOfMeetings = Annotated[SignedIn, Depends(signed_in(*PANEL_PEOPLE, Role.AUDITOR.value))]
Chair = Annotated[SignedIn, Depends(signed_in(Role.PANEL_CHAIR.value))]


class Meeting(TypedDict, total=False):
    """What the meetings page reads of each meeting (the template shows the rest)."""

    panel: Required[str]
    starts_at: Required[str]
    when: str  # held, today or to come: added here


class Attendee(TypedDict, total=False):
    person_id: str


class Item(TypedDict, total=False):
    case_id: Required[str]
    reason: Required[str]
    status: str


class Agenda(TypedDict, total=False):
    """What the meeting page reads of the panel API's agenda."""

    starts_at: Required[str]
    ends_at: Required[str]
    attendance: Required[list[Attendee]]
    apologies: list[Attendee]
    agenda: Required[list[Item]]
    agenda_closes_at: str  # its cut-off: the agenda is circulated before it


class Line(TypedDict):
    service: str


class Package(TypedDict, total=False):
    interventions: Required[list[Line]]
    ended: str | None


class Case(TypedDict, total=False):
    """What the review form reads of a case: its packages by id (and where it is held)."""

    packages: dict[str, Package]
    panel: str
    district: str


@router.get("/meetings", response_class=HTMLResponse)
async def meetings(request: Request, web: WebApp, who: ReaderOfMeetings) -> Response:
    found: list[Meeting] = await web.backend.call(who, "GET", "panel", "/meetings")
    by_panel: dict[str, list[Meeting]] = defaultdict(list)
    now = datetime.now(LONDON)
    for m in found:
        starts = datetime.fromisoformat(m["starts_at"]).astimezone(LONDON)
        m["when"] = (
            "Today" if starts.date() == now.date() else "Held" if starts < now else "To come"
        )
        by_panel[m["panel"]].append(m)
    return web.page(
        request, "meetings.html", who, by_panel=by_panel, panels=[p.value for p in Panel]
    )


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
async def meeting(
    request: Request, web: WebApp, who: ReaderOfMeetings, meeting_id: uuid.UUID
) -> Response:
    return await _meeting_page(web, request, who, meeting_id)


@router.post("/meetings/{meeting_id}/attendance")
async def attend(
    request: Request, web: WebApp, who: PanelPerson, form: CheckedForm, meeting_id: uuid.UUID
) -> Response:
    return await web.write(
        who,
        form,
        "POST",
        "panel",
        f"/meetings/{meeting_id}/attendance",
        {"name": who.name or who.user_id},
        again=lambda errors, status: _meeting_page(web, request, who, meeting_id, errors, status),
        done=f"/meetings/{meeting_id}",
    )


@router.post("/meetings/{meeting_id}/decisions")
async def decide(
    request: Request, web: WebApp, who: Chair, form: CheckedForm, meeting_id: uuid.UUID
) -> Response:
    async def again(errors: FormErrors, status: int) -> HTMLResponse:
        return await _meeting_page(web, request, who, meeting_id, errors, status, form)

    body = decision_body(form)
    if body["kind"] != "assign-lead-professional":
        return await web.write(
            who,
            form,
            "POST",
            "panel",
            f"/meetings/{meeting_id}/decisions",
            body,
            again=again,
            done=f"/meetings/{meeting_id}",
        )
    # the lead professional: someone the directory holds in the role, chosen from its list
    n = _item(form)
    chosen = str(form.get("professional_id", "")).strip()
    try:
        lead = await web.directory.find(chosen, role=LEAD_ROLE) if chosen else None
    except (Unavailable, httpx.HTTPError) as e:  # the page says so: try again
        log.warning("web.directory_unavailable", error=type(e).__name__)
        errors = FormErrors()
        errors.add(f"professional_id-{n}", "The directory of people did not answer: try again")
        return await again(errors, 503)
    if lead is None:
        errors = FormErrors()
        errors.add(
            f"professional_id-{n}",
            "Choose a lead professional from the list"
            if not chosen
            else "Choose someone the directory holds as a lead professional",
        )
        return await again(errors, 400)
    body["professional_id"] = lead.user_id
    body["name"] = lead.name
    body["agency"] = lead.agency
    body["work_email"] = lead.email
    return await _write(
        web,
        who,
        form,
        f"/meetings/{meeting_id}/decisions",
        body,
        {
            "professional_id": f"professional_id-{n}",
            "agency": f"professional_id-{n}",
            "work_email": f"professional_id-{n}",
            "name": f"professional_id-{n}",
            "justification": f"justification-{n}",
        },
        again,
        f"/meetings/{meeting_id}",
    )


@router.post("/meetings/{meeting_id}/apologies")
async def apologise(
    request: Request, web: WebApp, who: PanelPerson, form: CheckedForm, meeting_id: uuid.UUID
) -> Response:
    return await web.write(
        who,
        form,
        "POST",
        "panel",
        f"/meetings/{meeting_id}/apologies",
        {"name": who.name or who.user_id},
        again=lambda errors, status: _meeting_page(web, request, who, meeting_id, errors, status),
        done=f"/meetings/{meeting_id}",
    )


@router.post("/meetings/{meeting_id}/declarations")
async def declare(
    request: Request, web: WebApp, who: PanelPerson, form: CheckedForm, meeting_id: uuid.UUID
) -> Response:
    """The signed-in member's declaration of an interest in a case listed, before its
    decision: what the interest is, and whether they withdraw from the decision."""

    async def again(errors: FormErrors, status: int) -> HTMLResponse:
        return await _meeting_page(web, request, who, meeting_id, errors, status, form)

    n = _item(form)
    interest = str(form.get("interest", "")).strip()
    withdraws = str(form.get("withdraws", ""))
    errors = FormErrors()
    if not interest:
        errors.add(f"interest-{n}", "Say what the interest is")
    if withdraws not in ("yes", "no"):
        errors.add(f"withdraws-{n}", "Say whether you withdraw from the decision on this case")
    if errors:
        return await again(errors, 400)
    return await _write(
        web,
        who,
        form,
        f"/meetings/{meeting_id}/declarations",
        {
            "case_id": str(form.get("case_id", "")),
            "name": who.name or who.user_id,
            "interest": interest,
            "withdraws": withdraws == "yes",
        },
        {"interest": f"interest-{n}", "withdraws": f"withdraws-{n}"},
        again,
        f"/meetings/{meeting_id}",
    )


@router.post("/meetings/{meeting_id}/circulation")
async def circulate(
    request: Request, web: WebApp, who: PanelPerson, form: CheckedForm, meeting_id: uuid.UUID
) -> Response:
    """The agenda circulated to the panel's members (each emailed a link to the meeting),
    before its cut-off; again once a case was listed or taken off since. What the panel API
    refuses (after the cut-off, nothing new to send) shows beside the circulation."""

    async def again(errors: FormErrors, status: int) -> HTMLResponse:
        return await _meeting_page(web, request, who, meeting_id, errors, status, form)

    return await _write(
        web,
        who,
        form,
        f"/meetings/{meeting_id}/circulation",
        {},
        {"meeting_id": "circulation"},
        again,
        f"/meetings/{meeting_id}",
    )


@router.post("/meetings/{meeting_id}/minutes")
async def minute(
    request: Request, web: WebApp, who: Chair, form: CheckedForm, meeting_id: uuid.UUID
) -> Response:
    """The chair's minutes of the meeting: of a case listed (its item) or general."""

    async def again(errors: FormErrors, status: int) -> HTMLResponse:
        return await _meeting_page(web, request, who, meeting_id, errors, status, form)

    n = _item(form)
    discussion = str(form.get("discussion", "")).strip()
    if not discussion:
        errors = FormErrors()
        errors.add(f"discussion-{n}", "Enter what the meeting discussed")
        return await again(errors, 400)
    body: dict[str, object] = {
        "discussion": discussion,
        "actions": str(form.get("actions", "")).strip(),
    }
    if case_id := str(form.get("case_id", "")):
        body["case_id"] = case_id
    return await _write(
        web,
        who,
        form,
        f"/meetings/{meeting_id}/minutes",
        body,
        {"discussion": f"discussion-{n}", "actions": f"actions-{n}"},
        again,
        f"/meetings/{meeting_id}",
    )


def _item(form: FormData) -> str:
    """Which of the page's forms was sent: an agenda item's number, or "general"."""
    n = str(form.get("item", ""))
    return n if n.isdigit() or n == "general" else "general"


async def _write(
    web: Web,
    who: SignedIn,
    form: FormData,
    path: str,
    body: Mapping[str, object],
    fields: Mapping[str, str],
    again: Again,
    done: str,
) -> Response:
    """A form's write to the panel API, sent with the form's key (a second click records
    nothing more), then back to `done`; or the page again with what the API refused beside
    the field it names (`fields`: the API's field name -> the form field's id), the rest in
    the summary, and every answer kept."""
    try:
        await web.backend.call(
            who, "POST", "panel", path, json=body, idempotency_key=request_key(form)
        )
    except Invalid as e:
        return await again(_refused(e.errors, str(e), fields), 400)
    except Refused as e:
        name, _, rule = str(e).partition(": ")
        return await again(_refused([{"field": name, "reason": rule}], str(e), fields), 409)
    return RedirectResponse(done, status_code=303)


def _refused(errors: list[dict[str, str]], detail: str, fields: Mapping[str, str]) -> FormErrors:
    found = FormErrors()
    for e in errors:
        name = str(e.get("field", "")).rsplit(".", 1)[-1]
        reason = str(e.get("reason", "")) or "is not valid"
        if name in fields:
            found.add(fields[name], reason[:1].upper() + reason[1:])
        else:
            found.other.append(f"{e.get('field', '')}: {reason}" if e.get("field") else reason)
    if not found:
        found.other.append(detail)
    return found


@router.post("/cases/{case_id}/sitting")
async def meet_now(
    request: Request, web: WebApp, who: PanelPerson, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    """A meeting of the panel holding the case called for now (to the minute: a second click
    is the same meeting), the case brought forward to it."""

    async def again(errors: FormErrors, status: int) -> HTMLResponse:
        return await case_page(web, request, who, case_id, errors, status)

    reason = str(form.get("reason", "")).strip()
    if not reason:  # said before a meeting is called for nothing
        errors = FormErrors()
        errors.add("reason", "Enter why the case cannot wait for the panel's next meeting")
        return await again(errors, 400)
    case: Case = await web.backend.call(who, "GET", "panel", f"/cases/{case_id}")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    district = case.get("district") if case.get("panel") == Panel.MAAG.value else None
    try:
        called = await web.backend.call(
            who,
            "POST",
            "panel",
            "/meetings",
            json={"panel": case.get("panel"), "district": district, "starts_at": now.isoformat()},
        )
    except (Refused, Invalid) as e:
        return await again(FormErrors(other=[str(e)]), 409 if isinstance(e, Refused) else 400)
    meeting_id = called["meeting_id"]
    return await web.write(
        who,
        form,
        "POST",
        "panel",
        f"/meetings/{meeting_id}/agenda",
        {"case_id": str(case_id), "reason": reason},
        again=again,
        done=f"/meetings/{meeting_id}",
        label="Why it cannot wait",
    )


async def _meeting_page(
    web: Web,
    request: Request,
    who: SignedIn,
    meeting_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: FormData | None = None,
) -> HTMLResponse:
    """The meeting; with `form`, the one form sent again with its answers (`kept`, for the
    form its `item` names) and what was wrong with them (`errors`)."""
    agenda: Agenda = await web.backend.call(who, "GET", "panel", f"/meetings/{meeting_id}/agenda")
    attending = any(a.get("person_id") == who.user_id for a in agenda["attendance"])
    apologised = any(a.get("person_id") == who.user_id for a in agenda.get("apologies", []))
    now = datetime.now(UTC)
    starts = datetime.fromisoformat(agenda["starts_at"])
    ends = datetime.fromisoformat(agenda["ends_at"])
    sitting = "to come" if now < starts else "ended" if now > ends else "sitting"
    closes = agenda.get("agenda_closes_at")
    # the agenda may be circulated until its cut-off (the panel API decides again)
    circulating = closes is not None and now < datetime.fromisoformat(closes)
    chair = who.has(Role.PANEL_CHAIR.value)
    # the running packages of each case listed, for the review form (a review may be
    # listed for its day, or brought forward with the case)
    reviewed = [i["case_id"] for i in agenda["agenda"] if i.get("status") != "removed"]
    cases: list[Case | None] = await asyncio.gather(
        *(optional(web.backend.call(who, "GET", "panel", f"/cases/{c}")) for c in reviewed)
    )
    leads = await _leads(web) if chair and sitting == "sitting" else []
    return web.page(
        request,
        "meeting.html",
        who,
        status,
        meeting=agenda,
        sitting=sitting,
        circulating=circulating,
        attending=attending,
        apologised=apologised,
        chair=chair,
        member=who.has(*PANEL_PEOPLE),
        agencies=[a.value for a in Agency],
        outcomes=[o.value for o in AvoidedOutcome],
        closure_outcomes=[o.value for o in ClosureOutcome],
        funders=JAP_FUNDERS,
        packages={str(c): _running(case) for c, case in zip(reviewed, cases, strict=True)},
        leads=leads,
        sent=f"{form.get('what', '')}-{_item(form)}" if form is not None else None,
        kept=form if form is not None else {},
        errors=errors or FormErrors(),
    )


async def _leads(web: Web) -> list[dict[str, str]] | None:
    """Whom the chair may choose as lead professional: the directory's people in the role,
    by agency then name, each labelled with their agency (None: the directory did not
    answer)."""
    try:
        people = await web.directory.people(role=LEAD_ROLE)
    except (Unavailable, httpx.HTTPError) as e:  # the page says so: try again
        log.warning("web.directory_unavailable", error=type(e).__name__)
        return None
    return [
        {"value": p.user_id, "text": p.label}
        for p in sorted(people, key=lambda p: (p.agency, p.name, p.user_id))
    ]


def _running(case: Case | None) -> list[dict[str, str]]:
    """A case's packages still running, as the review form's choices."""
    if case is None:
        return []
    return [
        {"value": pid, "text": ", ".join(i["service"] for i in p["interventions"])}
        for pid, p in case.get("packages", {}).items()
        if not p.get("ended")
    ]
