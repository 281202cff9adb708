"""The referral service's HTTP API for agencies' professionals (OpenAPI at /docs).

Module-level routers (this one, and the data protection officer's in `privacy.py`); each
route is body -> command -> the one pipeline -> a typed answer, or a query's typed answer.
Who calls, the correlation id and the idempotency key come from `maag.runtime.web.http`; the
application from the FastAPI app's state (`create_api` puts it there)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from contracts.child import NhsNumber, Sex
from contracts.events.referral import ConsentGiven, ReferralDetails
from contracts.limits import ID_CHARS, NOTE_CHARS, TEXT_CHARS, PastDate
from contracts.reference import SocialCareAnswer
from maag.runtime.store.unit_of_work import Conflict, NotFound
from maag.runtime.web import http
from maag.runtime.web.auth import TokenVerifier
from services.referral.adapters import assessment, documents, privacy, reports
from services.referral.adapters.dependencies import App, today
from services.referral.application.app import ReferralApp
from services.referral.application.commands import (
    AnswerFrontDoor,
    LinkHousehold,
    RecordBirth,
    RecordConsent,
    RecordSafeguardingBasis,
    ResolveChildMatch,
    SubmitReferral,
    WithdrawConsent,
    WriteNote,
)
from services.referral.application.commands.submit_referral import submit_referrals
from services.referral.application.queries import case_notes as notes
from services.referral.application.queries import child_record as children
from services.referral.application.queries import chronology as chronologies
from services.referral.application.queries import list_referrals as lists
from services.referral.application.queries import matches as offers
from services.referral.application.queries.case_notes import Note
from services.referral.application.queries.child_record import ChildRecord
from services.referral.application.queries.chronology import ChronologyItem
from services.referral.application.queries.consent_due import ConsentDueView, consent_due
from services.referral.application.queries.front_door import FrontDoorCaseView, front_door_cases
from services.referral.application.queries.list_referrals import ReferralSummary
from services.referral.application.queries.matches import MatchOffer
from services.referral.application.queries.read_referral import (
    ReferralView,
    referral_view,
    view_referral,
)
from services.referral.application.queries.subject_access import PartUnavailable
from services.referral.domain.notes import NoteConflict
from services.referral.domain.retention import ScheduleError
from services.referral.domain.values import (
    Correction,
    ReferralConflict,
    SafeguardingBasis,
    Status,
)

# The service's own refusals, as HTTP statuses (each names the field and the rule).
ERRORS: dict[type[Exception], int] = {
    NotFound: 404,
    Conflict: 409,
    ReferralConflict: 409,
    NoteConflict: 409,
    ScheduleError: 422,
    PartUnavailable: 502,
}


router = APIRouter(route_class=http.StrictRoute)


class WithdrawalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    withdrawn_on: PastDate
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


class FrontDoorAnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: SocialCareAnswer = Field(
        description="accepted: children's social care takes the case on; stepped-down: into "
        "the district's MAAG."
    )
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)
    reference: str | None = Field(
        default=None, min_length=1, max_length=ID_CHARS, description="Social care's own record."
    )


class SafeguardingBasisRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    professional_id: str = Field(min_length=1, max_length=ID_CHARS)
    professional_name: str = Field(min_length=1, max_length=ID_CHARS)
    reason: str = Field(
        min_length=1, max_length=TEXT_CHARS, description="Why sharing without consent is justified."
    )
    recorded_on: PastDate

    def value(self) -> SafeguardingBasis:
        return SafeguardingBasis(
            self.professional_id, self.professional_name, self.reason, self.recorded_on
        )


class BirthRequest(BaseModel):
    """A child referred before birth is born: what their record takes from the birth."""

    model_config = ConfigDict(extra="forbid")

    date_of_birth: PastDate
    given_name: str | None = Field(
        default=None, min_length=1, max_length=ID_CHARS, description="When it is new."
    )
    sex: Sex | None = None
    nhs_number: NhsNumber | None = None


class MatchDecision(StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"


class MatchResolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: UUID = Field(description="One of the children offered for this referral.")
    decision: MatchDecision
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


class SiblingLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sibling_case_id: UUID = Field(
        description="A referral of the sibling (you must be able to read it)."
    )


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=NOTE_CHARS)
    about_date: PastDate = Field(description="The day the note is about.")
    supersedes: UUID | None = Field(
        default=None, description="The note this one corrects (which stays, marked)."
    )
    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=TEXT_CHARS,
        description="Why the superseded note was wrong (with `supersedes`, and only then).",
    )

    @model_validator(mode="after")
    def _reason_with_supersedes(self) -> NoteRequest:
        if (self.supersedes is None) != (self.reason is None):
            raise ValueError("reason: give a reason exactly when the note supersedes another")
        return self

    def correction(self) -> Correction | None:
        if self.supersedes is None or self.reason is None:
            return None
        return Correction(self.supersedes, self.reason)


Answer = tuple[UUID, bool, bytes]
Waiting = tuple[SubmitReferral, contextvars.Context, "asyncio.Future[Answer]"]
# Submissions taken on the worker thread at once, at most: the others wait for the next.
BATCH = 50


class Submissions:
    """POST /referrals's submissions, those that arrive while others are being submitted
    taken together on one worker thread (`submit_referrals`), each in its own request's
    context: a thread per request, each waiting on the GIL between its keyring, child index
    and commit round trips, cost the intake twice the CPU the topic's batches do. Batched
    per event loop (a server has one; a test client may run a loop per request)."""

    def __init__(self, app: ReferralApp) -> None:
        self.app = app
        self._waiting: dict[asyncio.AbstractEventLoop, list[Waiting]] = {}
        self._draining: set[asyncio.Task[None]] = set()  # held: a task is only weakly kept

    async def submit(self, command: SubmitReferral) -> Answer:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Answer] = loop.create_future()
        waiting = self._waiting.get(loop)
        if waiting is None:  # none is draining this loop's: this one starts it
            waiting = self._waiting[loop] = []
            # in a context of its own: what it does for all is no one request's
            task = loop.create_task(self._drain(loop, waiting), context=contextvars.Context())
            self._draining.add(task)
            task.add_done_callback(self._draining.discard)
        waiting.append((command, contextvars.copy_context(), answer))
        return await answer

    async def _drain(self, loop: asyncio.AbstractEventLoop, waiting: list[Waiting]) -> None:
        batch: list[Waiting] = []
        try:
            while waiting:
                batch = waiting[:BATCH]
                del waiting[:BATCH]
                try:
                    answers = await run_in_threadpool(_answers, self.app, batch)
                except Exception as e:  # no one submission's (the store is away): every one's
                    answers = [e] * len(batch)
                for (_, _, future), found in zip(batch, answers, strict=True):
                    if future.done():  # its request has gone
                        continue
                    if isinstance(found, Exception):
                        future.set_exception(found)
                    else:
                        future.set_result(found)
        finally:
            del self._waiting[loop]
            for _, _, future in [*batch, *waiting]:  # stopped: none will be answered
                if not future.done():
                    future.cancel()


def _answers(app: ReferralApp, batch: list[Waiting]) -> list[Answer | Exception]:
    found = submit_referrals(app, [(c, context.run) for c, context, _ in batch])
    answers: list[Answer | Exception] = []
    for (c, context, _), submitted in zip(batch, found, strict=True):
        if isinstance(submitted, Exception):
            answers.append(submitted)
            continue
        referral, created = submitted
        try:
            view = context.run(referral_view, app, referral, c.caller)
        except Exception as e:
            answers.append(e)
            continue
        answers.append((referral.id, created, view.model_dump_json(by_alias=True).encode()))
    return answers


async def _intake(request: Request) -> Submissions:
    return cast(Submissions, request.app.state.submissions)


Intake = Annotated[Submissions, Depends(_intake)]


# The intake's route answers with the view's JSON as it makes it (the same bytes), where
# FastAPI would validate and serialise the view again. The response model is declared for
# the API's description.
@router.post(
    "/referrals",
    status_code=201,
    response_model=ReferralView,
    tags=["referrals"],
    summary="Submit a referral (a retry with the same Idempotency-Key returns the same case)",
)
async def submit(details: ReferralDetails, intake: Intake, asked: http.Asked) -> Response:
    case_id, created, body = await intake.submit(SubmitReferral(details=details, **asked))
    return Response(
        body,
        status_code=201 if created else 200,
        media_type="application/json",
        headers={"Location": f"/referrals/{case_id}"},
    )


@router.post("/referrals/{case_id}/consent", response_model=ReferralView, tags=["consent"])
def record_consent(
    case_id: UUID,
    body: ConsentGiven,
    app: App,
    asked: http.Asked,
) -> ReferralView:
    referral = app.handle(
        RecordConsent(
            case_id=case_id,
            consent=body,
            **asked,
        )
    )
    return referral_view(app, referral, asked["caller"])


@router.post(
    "/referrals/{case_id}/birth",
    response_model=ReferralView,
    tags=["child"],
    summary="Record the birth of a child referred before birth (their record takes it)",
)
def record_birth(case_id: UUID, body: BirthRequest, app: App, asked: http.Asked) -> ReferralView:
    referral = app.handle(RecordBirth(case_id=case_id, **body.model_dump(), **asked))
    return referral_view(app, referral, asked["caller"])


@router.post(
    "/referrals/{case_id}/consent/withdrawal", response_model=ReferralView, tags=["consent"]
)
def withdraw_consent(
    case_id: UUID,
    body: WithdrawalRequest,
    app: App,
    asked: http.Asked,
) -> ReferralView:
    referral = app.handle(
        WithdrawConsent(
            case_id=case_id,
            withdrawn_on=body.withdrawn_on,
            reason=body.reason,
            **asked,
        )
    )
    return referral_view(app, referral, asked["caller"])


@router.post(
    "/referrals/{case_id}/safeguarding-basis",
    response_model=ReferralView,
    tags=["consent"],
    summary="Record a named professional's basis for sharing without consent",
)
def record_safeguarding_basis(
    case_id: UUID,
    body: SafeguardingBasisRequest,
    app: App,
    asked: http.Asked,
) -> ReferralView:
    referral = app.handle(
        RecordSafeguardingBasis(
            case_id=case_id,
            basis=body.value(),
            **asked,
        )
    )
    return referral_view(app, referral, asked["caller"])


@router.get(
    "/my/consent/due",
    response_model=list[ConsentDueView],
    tags=["consent"],
    summary="The consent to reconfirm on the cases the caller leads, as lead professional: "
    "while a case is open its consent is reconfirmed with the family at least once a year; "
    "those due within four weeks or past, overdue first, then soonest",
    description="Only the open cases whose lead professional the caller is now. Each case "
    "listed is a recorded read.",
)
def my_consent_due(app: App, caller: http.CallerDep) -> list[ConsentDueView]:
    return consent_due(app, caller, today())


@router.get(
    "/front-door",
    response_model=list[FrontDoorCaseView],
    tags=["front door"],
    summary="The cases referred to children's social care's front door (no personal details)",
)
def front_door(app: App, caller: http.CallerDep, waiting: bool = True) -> list[FrontDoorCaseView]:
    return front_door_cases(app, caller, waiting)


@router.post(
    "/referrals/{case_id}/front-door",
    response_model=ReferralView,
    tags=["front door"],
    summary="Children's social care takes the case on, or steps it down into the MAAG",
)
def answer_front_door(
    case_id: UUID,
    body: FrontDoorAnswerRequest,
    app: App,
    asked: http.Asked,
) -> ReferralView:
    referral = app.handle(
        AnswerFrontDoor(
            case_id=case_id,
            answer=body.answer,
            reason=body.reason,
            reference=body.reference,
            **asked,
        )
    )
    return referral_view(app, referral, asked["caller"])


@router.get(
    "/referrals/{case_id}",
    response_model=ReferralView,
    tags=["referrals"],
    summary="Read one referral (the read is recorded on the case)",
)
def read(case_id: UUID, app: App, caller: http.CallerDep) -> ReferralView:
    return view_referral(app, case_id, caller)


@router.get(
    "/referrals",
    response_model=list[ReferralSummary],
    tags=["referrals"],
    summary="The caller's agency's referrals, newest first (no personal details)",
)
def list_referrals(
    app: App,
    caller: http.CallerDep,
    status: Annotated[
        list[Status] | None, Query(description="Only referrals in these states (repeat it).")
    ] = None,
    since: Annotated[
        date | None,
        Query(description="Only referrals whose state changed, or that ended, on or after it."),
    ] = None,
) -> list[ReferralSummary]:
    return lists.list_referrals(app, caller, status or (), since)


@router.post(
    "/referrals/{case_id}/notes",
    status_code=201,
    response_model=Note,
    tags=["notes"],
    summary="Add a dated note to a case you can see (notes are never edited: a correction "
    "supersedes one, and both stay)",
)
def write_note(
    case_id: UUID,
    body: NoteRequest,
    app: App,
    asked: http.Asked,
) -> Note:
    note = app.handle(
        WriteNote(
            case_id=case_id,
            text=body.text,
            about_date=body.about_date,
            correction=body.correction(),
            **asked,
        )
    )
    (written,) = notes.case_notes(app, case_id, asked["caller"], [note.id])
    return written


@router.get(
    "/referrals/{case_id}/notes",
    response_model=list[Note],
    tags=["notes"],
    summary="A case's notes, every version, oldest first (the read is recorded)",
)
def list_notes(case_id: UUID, app: App, caller: http.CallerDep) -> list[Note]:
    return notes.case_notes(app, case_id, caller)


@router.get(
    "/referrals/{case_id}/chronology",
    response_model=list[ChronologyItem],
    tags=["notes"],
    summary="The case's events and notes in the order they happened (the read is recorded)",
)
def chronology(case_id: UUID, app: App, caller: http.CallerDep) -> list[ChronologyItem]:
    return chronologies.chronology(app, case_id, caller)


@router.get(
    "/referrals/{case_id}/matches",
    response_model=list[MatchOffer],
    tags=["child index"],
    summary="Children this referral's child may already be (the read is recorded)",
)
def matches(case_id: UUID, app: App, caller: http.CallerDep) -> list[MatchOffer]:
    return offers.matches(app, case_id, caller)


@router.post(
    "/referrals/{case_id}/child-match",
    response_model=ReferralView,
    tags=["child index"],
    summary="Confirm or reject an offered match (you must be able to read every referral "
    "involved; confirmed, the referral joins the child's open case)",
)
def resolve_match(
    case_id: UUID,
    body: MatchResolution,
    app: App,
    asked: http.Asked,
) -> ReferralView:
    referral = app.handle(
        ResolveChildMatch(
            case_id=case_id,
            child_id=body.child_id,
            confirmed=body.decision is MatchDecision.CONFIRM,
            reason=body.reason,
            **asked,
        )
    )
    return referral_view(app, referral, asked["caller"])


@router.post(
    "/referrals/{case_id}/household",
    response_model=ReferralView,
    tags=["child index"],
    summary="Link this referral's child and another's as siblings in one household",
)
def link_household(
    case_id: UUID,
    body: SiblingLink,
    app: App,
    asked: http.Asked,
) -> ReferralView:
    referral = app.handle(
        LinkHousehold(
            case_id=case_id,
            sibling_case_id=body.sibling_case_id,
            **asked,
        )
    )
    return referral_view(app, referral, asked["caller"])


@router.get(
    "/children/{child_id}",
    response_model=ChildRecord,
    tags=["child index"],
    summary="One child's referrals, and their siblings', that you can see (no personal "
    "details; each read recorded)",
)
def child_record(child_id: UUID, app: App, caller: http.CallerDep) -> ChildRecord:
    return children.child_record(app, child_id, caller)


def create_api(
    app: ReferralApp, verifier: TokenVerifier, ready: Callable[[], dict[str, bool]]
) -> FastAPI:
    """The API: the shared plumbing, health, and the routers."""
    api = FastAPI(
        title="MAAG referral service",
        version="1.0.0",
        description=(
            "Agencies' professionals submit referrals, record consent or a safeguarding basis, "
            "and follow the triage outcome. Every call needs `Authorization: Bearer <token>` "
            "(claims: sub, role, agency). Errors name the field and the reason."
        ),
    )
    api.state.referral = app
    api.state.submissions = Submissions(app)
    http.install(api, verifier, ERRORS)
    http.health(api, ready)
    http.mount(api, router, privacy.router, assessment.router, documents.router, reports.router)
    return api
