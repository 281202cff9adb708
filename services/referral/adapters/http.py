"""The referral service's HTTP API for agencies' professionals (OpenAPI at /docs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from fastapi import FastAPI, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.engine import Engine

from contracts.events.referral import ChildDetails, ConsentGiven, ReferralDetails
from contracts.limits import ID_CHARS, NOTE_CHARS, TEXT_CHARS, PastDate
from maag.runtime import policy
from maag.runtime.policy import Action, CaseScope
from maag.runtime.store.unit_of_work import Conflict, NotFound
from maag.runtime.web import http
from maag.runtime.web.auth import Caller, TokenVerifier
from services.referral.adapters import privacy, read_model
from services.referral.application.access import sees_personal_data
from services.referral.application.app import ReferralApp
from services.referral.application.commands import (
    LinkHousehold,
    RecordConsent,
    RecordSafeguardingBasis,
    ResolveChildMatch,
    SubmitReferral,
    WithdrawConsent,
    WriteNote,
)
from services.referral.domain.notes import NoteConflict
from services.referral.domain.referral import Referral, ReferralConflict
from services.referral.domain.retention import DEFAULT_SCHEDULE, Rule, ScheduleError

ConsentRequest = ConsentGiven


class WithdrawalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    withdrawn_on: PastDate
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


class SafeguardingBasisRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    professional_id: str = Field(min_length=1, max_length=ID_CHARS)
    professional_name: str = Field(min_length=1, max_length=ID_CHARS)
    reason: str = Field(
        min_length=1, max_length=TEXT_CHARS, description="Why sharing without consent is justified."
    )
    recorded_on: PastDate


class ReferralView(BaseModel):
    case_id: UUID
    status: str
    reason: str | None
    signposting: str | None
    caf_reference: str
    referring_agency: str
    district: str
    level_of_need: int
    needs: list[str]
    agencies_requested: list[str]
    significant_harm_concern: bool
    transition: bool
    consent: dict[str, Any] | None
    safeguarding_basis_recorded: bool
    child: ChildDetails | None = Field(
        description="Only for those entitled (the referring agency's referrers, the lead "
        "professional as consent allows); null for everyone else, and once erased."
    )
    personal_data_erased: bool = Field(
        default=False,
        description="The child's details were erased (their key destroyed): the decisions stay.",
    )
    child_id: UUID | None = Field(
        default=None,
        description="The child's pseudonymous id in the child index (shared by their referrals "
        "once a match is confirmed); null for a referral received before the index.",
    )
    household_id: UUID | None = Field(default=None, description="Siblings share one.")
    matches_offered: int = Field(
        default=0, description="Children this one may be, waiting to be confirmed or rejected."
    )


class MatchDecision(StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"


class MatchResolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: UUID = Field(description="One of the children offered for this referral.")
    decision: MatchDecision
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


class MatchOffer(BaseModel):
    child_id: UUID
    status: str = Field(description="offered, confirmed or rejected")
    keys_matched: list[str] = Field(
        description="given, family, postcode (each with the birth date)"
    )
    referrals: list[UUID] = Field(description="The child's referrals you can see.")
    referrals_you_cannot_see: int


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


class Note(BaseModel):
    note_id: UUID
    at: datetime
    about_date: str
    author: dict[str, str] | None
    text: str | None = Field(description="null once the case's details were erased")
    supersedes: UUID | None


class ChronologyItem(BaseModel):
    kind: str = Field(description="event or note")
    at: datetime
    event: str | None = None
    actor: dict[str, str] | None = None
    details: dict[str, Any] | None = None
    note_id: UUID | None = None
    about_date: str | None = None
    author: dict[str, str] | None = None
    text: str | None = None
    supersedes: UUID | None = None
    superseded: dict[str, str] | None = None


class ChildRecord(BaseModel):
    child_id: UUID
    referrals: list[ReferralSummary] = Field(description="Those you can see, oldest first.")
    household: list[ReferralSummary] = Field(
        description="Referrals of the child's siblings that you can see."
    )


class ReferralSummary(BaseModel):
    case_id: UUID
    district: str
    caf_reference: str
    level_of_need: int
    status: str
    reason: str | None
    received_at: datetime
    updated_at: datetime


def summary(referral: Referral) -> ReferralSummary:
    d = referral.details
    return ReferralSummary(
        case_id=referral.id,
        district=d["district"],
        caf_reference=d["caf_reference"],
        level_of_need=d["level_of_need"],
        status=referral.status,
        reason=referral.outcome_reason,
        received_at=referral.created_on,
        updated_at=referral.modified_on,
    )


def _scope(row: dict[str, Any]) -> CaseScope:
    """A listed case's scope, as far as the list knows it (agency and district)."""
    return CaseScope(
        case_id=UUID(str(row["case_id"])), agency=row["agency"], district=row["district"]
    )


def view(app: ReferralApp, referral: Referral, caller: Caller) -> ReferralView:
    """The referral as `caller` may see it: the child's details only where the policy lets
    them read those, and only the match offers they may know of."""
    d = referral.details
    child = app.child(referral) if sees_personal_data(referral, caller) else None
    offered = [o for _, o, _ in app.visible_offers(referral, caller) if o["status"] == "offered"]
    return ReferralView(
        case_id=referral.id,
        status=referral.status,
        reason=referral.outcome_reason,
        signposting=referral.signposting,
        caf_reference=d["caf_reference"],
        referring_agency=d["referring_agency"],
        district=d["district"],
        level_of_need=d["level_of_need"],
        needs=d["needs"],
        agencies_requested=d["agencies_requested"],
        significant_harm_concern=d["significant_harm_concern"],
        transition=d["transition"],
        consent=referral.consent,
        safeguarding_basis_recorded=referral.safeguarding_basis is not None,
        child=ChildDetails(**child) if child else None,
        personal_data_erased=referral.erased is not None,
        child_id=UUID(referral.child_id) if referral.child_id else None,
        household_id=UUID(referral.household_id) if referral.household_id else None,
        matches_offered=len(offered),
    )


def create_api(
    app: ReferralApp,
    verifier: TokenVerifier,
    engine: Engine,
    ready: Callable[[], dict[str, bool]],
    schedule: Sequence[Rule] = DEFAULT_SCHEDULE,
    service_urls: dict[str, str] | None = None,
) -> FastAPI:
    api = FastAPI(
        title="MAAG referral service",
        version="1.0.0",
        description=(
            "Agencies' professionals submit referrals, record consent or a safeguarding basis, "
            "and follow the triage outcome. Every call needs `Authorization: Bearer <token>` "
            "(claims: sub, role, agency). Errors name the field and the reason."
        ),
    )
    http.install(
        api,
        verifier,
        {
            NotFound: 404,
            Conflict: 409,
            ReferralConflict: 409,
            NoteConflict: 409,
            ScheduleError: 422,
        },
    )
    http.health(api, ready)

    @api.post(
        "/referrals",
        status_code=201,
        response_model=ReferralView,
        tags=["referrals"],
        summary="Submit a referral (a retry with the same Idempotency-Key returns the same case)",
    )
    def submit(
        details: ReferralDetails,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        response: Response,
        idempotency_key: http.IdempotencyKey = None,
    ) -> ReferralView:
        referral, created = app.handle(
            SubmitReferral(
                details=details,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        if not created:
            response.status_code = 200
        response.headers["Location"] = f"/referrals/{referral.id}"
        return view(app, referral, caller)

    @api.post("/referrals/{case_id}/consent", response_model=ReferralView, tags=["consent"])
    def record_consent(
        case_id: UUID,
        body: ConsentRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> ReferralView:
        referral = app.handle(
            RecordConsent(
                case_id=case_id,
                given_by=body.given_by,
                scope=body.scope,
                given_on=body.given_on,
                how_obtained=body.how_obtained,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return view(app, referral, caller)

    @api.post(
        "/referrals/{case_id}/consent/withdrawal", response_model=ReferralView, tags=["consent"]
    )
    def withdraw_consent(
        case_id: UUID,
        body: WithdrawalRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> ReferralView:
        referral = app.handle(
            WithdrawConsent(
                case_id=case_id,
                withdrawn_on=body.withdrawn_on,
                reason=body.reason,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return view(app, referral, caller)

    @api.post(
        "/referrals/{case_id}/safeguarding-basis",
        response_model=ReferralView,
        tags=["consent"],
        summary="Record a named professional's basis for sharing without consent",
    )
    def record_safeguarding_basis(
        case_id: UUID,
        body: SafeguardingBasisRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> ReferralView:
        referral = app.handle(
            RecordSafeguardingBasis(
                case_id=case_id,
                professional_id=body.professional_id,
                professional_name=body.professional_name,
                reason=body.reason,
                recorded_on=body.recorded_on,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return view(app, referral, caller)

    @api.get(
        "/referrals/{case_id}",
        response_model=ReferralView,
        tags=["referrals"],
        summary="Read one referral (the read is recorded on the case)",
    )
    def read(case_id: UUID, caller: http.CallerDep) -> ReferralView:
        referral, _ = app.read(case_id, caller)
        return view(app, referral, caller)

    @api.get(
        "/referrals",
        response_model=list[ReferralSummary],
        tags=["referrals"],
        summary="The caller's agency's referrals, newest first (no personal details)",
    )
    def list_referrals(caller: http.CallerDep) -> list[ReferralSummary]:
        # A list shows no child's details, so it records no read: each case opened from it
        # is recorded (a list of 200 would otherwise be 200 permanent events a call).
        policy.require_role(caller, Action.READ_CASE)
        rows = read_model.list_for_agency(engine, caller.agency)
        return [ReferralSummary(**row) for row in rows if policy.may_read(caller, _scope(row))]

    @api.post(
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
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> Note:
        note = app.handle(
            WriteNote(
                case_id=case_id,
                text=body.text,
                about_date=body.about_date,
                supersedes=body.supersedes,
                reason=body.reason,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        (written,) = app.notes(case_id, [note.id], caller)
        return Note(**written)

    @api.get(
        "/referrals/{case_id}/notes",
        response_model=list[Note],
        tags=["notes"],
        summary="A case's notes, every version, oldest first (the read is recorded)",
    )
    def list_notes(case_id: UUID, caller: http.CallerDep) -> list[Note]:
        found = app.notes(case_id, read_model.notes_of(engine, case_id), caller)
        return [Note(**n) for n in sorted(found, key=lambda n: n["at"])]

    @api.get(
        "/referrals/{case_id}/chronology",
        response_model=list[ChronologyItem],
        tags=["notes"],
        summary="The case's events and notes in the order they happened (the read is recorded)",
    )
    def chronology(case_id: UUID, caller: http.CallerDep) -> list[ChronologyItem]:
        found = app.chronology(case_id, read_model.notes_of(engine, case_id), caller)
        return [ChronologyItem(**item) for item in found]

    @api.get(
        "/referrals/{case_id}/matches",
        response_model=list[MatchOffer],
        tags=["child index"],
        summary="Children this referral's child may already be (the read is recorded)",
    )
    def matches(case_id: UUID, caller: http.CallerDep) -> list[MatchOffer]:
        return [MatchOffer(**m) for m in app.matches(case_id, caller)]

    @api.post(
        "/referrals/{case_id}/child-match",
        response_model=ReferralView,
        tags=["child index"],
        summary="Confirm or reject an offered match (you must be able to read every referral "
        "involved; confirmed, the referral joins the child's open case)",
    )
    def resolve_match(
        case_id: UUID,
        body: MatchResolution,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> ReferralView:
        referral = app.handle(
            ResolveChildMatch(
                case_id=case_id,
                child_id=body.child_id,
                confirmed=body.decision is MatchDecision.CONFIRM,
                reason=body.reason,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return view(app, referral, caller)

    @api.post(
        "/referrals/{case_id}/household",
        response_model=ReferralView,
        tags=["child index"],
        summary="Link this referral's child and another's as siblings in one household",
    )
    def link_household(
        case_id: UUID,
        body: SiblingLink,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> ReferralView:
        referral = app.handle(
            LinkHousehold(
                case_id=case_id,
                sibling_case_id=body.sibling_case_id,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return view(app, referral, caller)

    @api.get(
        "/children/{child_id}",
        response_model=ChildRecord,
        tags=["child index"],
        summary="One child's referrals, and their siblings', that you can see (no personal "
        "details; each read recorded)",
    )
    def child_record(child_id: UUID, caller: http.CallerDep) -> ChildRecord:
        mine = app.child_record(read_model.of_children(engine, [str(child_id)]), caller)
        if not mine:
            raise NotFound(f"child_id: no child {child_id} with a referral you can see")
        households = {r.household_id for r in mine if r.household_id}
        rows = [row for h in sorted(households) for row in read_model.of_household(engine, h)]
        siblings = app.child_record(
            [row for row in rows if row["child_id"] != str(child_id)], caller
        )
        return ChildRecord(
            child_id=child_id,
            referrals=[summary(r) for r in mine],
            household=[summary(r) for r in siblings],
        )

    privacy.install(api, app, engine, schedule, service_urls or {})
    return api
