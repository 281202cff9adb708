"""The data protection officer's API on the referral service: a case's data protection
record, erasure, legal holds, the retention schedule's due cases, and subject access.
Every route is for the privacy-officer role alone, and every act is an event on the case
(who, when, why)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import FastAPI, Header, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from contracts.limits import TEXT_CHARS
from contracts.reference import Role
from maag.runtime.evidence.reads import case_reads
from maag.runtime.evidence.timeline import ReplayRefused, parts_over_http, replay
from maag.runtime.web import http
from services.referral.adapters import read_model
from services.referral.application import subject_access
from services.referral.application.app import ReferralApp, retention_outcome
from services.referral.application.commands import (
    ErasePersonalData,
    PlaceLegalHold,
    ReleaseLegalHold,
)
from services.referral.domain.referral import Referral
from services.referral.domain.retention import Rule, outcome_named

Reason = Annotated[str, Field(min_length=1, max_length=TEXT_CHARS, description="Why.")]


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason
    until: date = Field(description="The last day of the hold (today or later).")


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class PrivacyView(BaseModel):
    case_id: UUID
    status: str
    ended_as: str | None = Field(description="How the case ended, for the retention schedule.")
    personal_data_erased: dict[str, str] | None
    legal_hold: dict[str, str] | None
    closed: dict[str, str] | None


class DueView(BaseModel):
    case_id: UUID
    rule: str
    due_on: date
    held: bool = Field(description="Under a legal hold: not to be erased.")


def view(referral: Referral) -> PrivacyView:
    ended = retention_outcome(referral)
    return PrivacyView(
        case_id=referral.id,
        status=referral.status,
        ended_as=ended.value if ended else None,
        personal_data_erased=referral.erased,
        legal_hold=referral.hold,
        closed=referral.closed,
    )


def _today() -> date:
    return datetime.now(UTC).date()


def install(
    api: FastAPI,
    app: ReferralApp,
    engine: Engine,
    schedule: Sequence[Rule],
    service_urls: dict[str, str],
) -> None:
    @api.get("/privacy/cases/{case_id}", response_model=PrivacyView, tags=["privacy"])
    def record(case_id: UUID, caller: http.CallerDep) -> PrivacyView:
        return view(app.privacy_state(case_id, caller))

    @api.post(
        "/privacy/cases/{case_id}/erasure",
        response_model=PrivacyView,
        tags=["privacy"],
        summary="Erase the child's personal details (their key destroyed; decisions stay)",
        description="Refused (409) while the case is under a legal hold.",
    )
    def erase(
        case_id: UUID,
        body: ErasureRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> PrivacyView:
        referral = app.handle(
            ErasePersonalData(
                case_id=case_id,
                reason=body.reason,
                today=_today(),
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return view(referral)

    @api.post("/privacy/cases/{case_id}/legal-hold", response_model=PrivacyView, tags=["privacy"])
    def hold(
        case_id: UUID,
        body: HoldRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> PrivacyView:
        return view(
            app.handle(
                PlaceLegalHold(
                    case_id=case_id,
                    reason=body.reason,
                    until=body.until,
                    today=_today(),
                    caller=caller,
                    correlation_id=correlation_id,
                    idempotency_key=idempotency_key,
                )
            )
        )

    @api.post(
        "/privacy/cases/{case_id}/legal-hold/release", response_model=PrivacyView, tags=["privacy"]
    )
    def release(
        case_id: UUID,
        body: ReleaseRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> PrivacyView:
        return view(
            app.handle(
                ReleaseLegalHold(
                    case_id=case_id,
                    reason=body.reason,
                    caller=caller,
                    correlation_id=correlation_id,
                    idempotency_key=idempotency_key,
                )
            )
        )

    @api.get(
        "/privacy/retention",
        response_model=list[DueView],
        tags=["privacy"],
        summary="The cases the retention schedule says may now be erased (a dry run)",
        description="`outcome` limits it to those outcomes (closed, declined, "
        "redirected-to-social-care, pending-consent); an unknown one is refused.",
    )
    def retention(
        caller: http.CallerDep, outcome: Annotated[list[str] | None, Query()] = None
    ) -> list[DueView]:
        caller.require(Role.PRIVACY_OFFICER, to="apply the retention schedule")
        wanted = {outcome_named(o) for o in outcome} if outcome else None
        due = app.retention_due(read_model.case_ids(engine), schedule, _today(), wanted)
        return [
            DueView(case_id=d.case_id, rule=str(d.rule), due_on=d.due_on, held=d.held) for d in due
        ]

    @api.get(
        "/privacy/cases/{case_id}/export",
        tags=["privacy"],
        summary="Subject access: everything held about the child, across the services",
        description="JSON, or a readable page with `format=html`. Other people's names, ids "
        "and email addresses are withheld. The export is recorded on the case, and every "
        "service records its own part's read.",
        response_model=None,
    )
    def export(
        case_id: UUID,
        caller: http.CallerDep,
        authorization: Annotated[str, Header()],
        format: Literal["json", "html"] = "json",
    ) -> Response:
        caller.require(Role.PRIVACY_OFFICER, to="export what is held about a child")
        referral = app.privacy_state(case_id, caller)
        token = authorization.partition(" ")[2].strip()
        try:
            timeline = replay(case_id, parts_over_http(service_urls, token)).to_json()
        except ReplayRefused as e:
            raise HTTPException(502, f"a service's part is unavailable: {e}") from e
        child = app.child(referral)
        app.writer.save(*case_reads([case_id], caller, personal_data=child is not None))
        found = subject_access.bundle(
            str(case_id),
            child,
            referral.erased,
            {
                **_referral_part(referral),
                # what professionals wrote about the child (gone with the details once erased)
                "notes": sorted(
                    app.note_texts(read_model.notes_of(engine, case_id)), key=lambda n: n["at"]
                ),
            },
            timeline["entries"],
            datetime.now(UTC),
        )
        if format == "html":
            return HTMLResponse(subject_access.as_html(found))
        return JSONResponse(found)


def _referral_part(referral: Referral) -> dict[str, Any]:
    return {
        "status": referral.status,
        "reason": referral.outcome_reason,
        "details": {k: v for k, v in referral.details.items() if k != "child"},
        "consent": referral.consent,
        "safeguarding_basis": referral.safeguarding_basis,
        "lead_professional": referral.lead,
    }
