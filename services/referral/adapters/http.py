"""The referral service's HTTP API for agencies' professionals (OpenAPI at /docs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import FastAPI, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from contracts.events.referral import ChildDetails, ConsentGiven, ReferralDetails
from contracts.limits import ID_CHARS, TEXT_CHARS, PastDate
from contracts.reference import Role
from maag.runtime import http
from maag.runtime.auth import TokenVerifier
from maag.runtime.reads import record_reads
from maag.runtime.unit_of_work import Conflict, NotFound
from services.referral.adapters import privacy, read_model
from services.referral.application.access import sees_personal_data
from services.referral.application.app import ReferralApp
from services.referral.application.commands import (
    RecordConsent,
    RecordSafeguardingBasis,
    SubmitReferral,
    WithdrawConsent,
)
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


class ReferralSummary(BaseModel):
    case_id: UUID
    district: str
    caf_reference: str
    level_of_need: int
    status: str
    reason: str | None
    received_at: datetime
    updated_at: datetime


def view(app: ReferralApp, referral: Referral, personal: bool) -> ReferralView:
    d = referral.details
    child = app.child(referral) if personal else None
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
        {NotFound: 404, Conflict: 409, ReferralConflict: 409, ScheduleError: 422},
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
        return view(app, referral, personal=True)

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
        return view(app, referral, personal=sees_personal_data(referral, caller))

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
        return view(app, referral, personal=sees_personal_data(referral, caller))

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
        return view(app, referral, personal=sees_personal_data(referral, caller))

    @api.get(
        "/referrals/{case_id}",
        response_model=ReferralView,
        tags=["referrals"],
        summary="Read one referral (the read is recorded on the case)",
    )
    def read(case_id: UUID, caller: http.CallerDep) -> ReferralView:
        referral, personal = app.read(case_id, caller)
        return view(app, referral, personal)

    @api.get(
        "/referrals",
        response_model=list[ReferralSummary],
        tags=["referrals"],
        summary="The caller's agency's referrals, newest first (no personal details)",
    )
    def list_referrals(caller: http.CallerDep) -> list[ReferralSummary]:
        caller.require(Role.REFERRER, Role.PANEL_MEMBER, Role.AUDITOR, to="list referrals")
        rows = read_model.list_for_agency(engine, caller.agency)
        record_reads(app, [UUID(str(row["case_id"])) for row in rows], caller)
        return [ReferralSummary(**row) for row in rows]

    privacy.install(api, app, engine, schedule, service_urls or {})
    return api
