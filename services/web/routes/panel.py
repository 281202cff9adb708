"""The panel's pages: its meetings, and at a meeting the agenda, confirming attendance, and
the chair's decisions on each case listed, while the meeting sits (auditors read the
meetings too); from a case's page, a panel member calls its panel to meet now on it."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Required, TypedDict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from contracts.reference import JAP_FUNDERS, Agency, AvoidedOutcome, ClosureOutcome, Panel, Role
from services.web.backend import Invalid, Refused
from services.web.decisions import decision_body
from services.web.forms import FormErrors
from services.web.pages import LONDON, PANEL_PEOPLE, CheckedForm, Web, WebApp, optional, signed_in
from services.web.routes.lead import case_page
from services.web.sessions import SignedIn

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


class Agenda(TypedDict):
    """What the meeting page reads of the panel API's agenda."""

    starts_at: str
    ends_at: str
    attendance: list[Attendee]
    agenda: list[Item]


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
    return await web.write(
        who,
        form,
        "POST",
        "panel",
        f"/meetings/{meeting_id}/decisions",
        decision_body(form),
        again=lambda errors, status: _meeting_page(web, request, who, meeting_id, errors, status),
        done=f"/meetings/{meeting_id}",
    )


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
) -> HTMLResponse:
    agenda: Agenda = await web.backend.call(who, "GET", "panel", f"/meetings/{meeting_id}/agenda")
    attending = any(a.get("person_id") == who.user_id for a in agenda["attendance"])
    now = datetime.now(UTC)
    starts = datetime.fromisoformat(agenda["starts_at"])
    ends = datetime.fromisoformat(agenda["ends_at"])
    sitting = "to come" if now < starts else "ended" if now > ends else "sitting"
    # the running packages of each case listed, for the review form (a review may be
    # listed for its day, or brought forward with the case)
    reviewed = [i["case_id"] for i in agenda["agenda"] if i.get("status") != "removed"]
    cases: list[Case | None] = await asyncio.gather(
        *(optional(web.backend.call(who, "GET", "panel", f"/cases/{c}")) for c in reviewed)
    )
    return web.page(
        request,
        "meeting.html",
        who,
        status,
        meeting=agenda,
        sitting=sitting,
        attending=attending,
        chair=who.has(Role.PANEL_CHAIR.value),
        agencies=[a.value for a in Agency],
        outcomes=[o.value for o in AvoidedOutcome],
        closure_outcomes=[o.value for o in ClosureOutcome],
        funders=JAP_FUNDERS,
        packages={str(c): _running(case) for c, case in zip(reviewed, cases, strict=True)},
        errors=errors or FormErrors(),
    )


def _running(case: Case | None) -> list[dict[str, str]]:
    """A case's packages still running, as the review form's choices."""
    if case is None:
        return []
    return [
        {"value": pid, "text": ", ".join(i["service"] for i in p["interventions"])}
        for pid, p in case.get("packages", {}).items()
        if not p.get("ended")
    ]
