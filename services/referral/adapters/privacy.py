"""The data protection officer's API on the referral service: a case's data protection
record, erasure, legal holds, the retention schedule's due cases, what is due for them (their
work tray), and subject access.
Every route is for the privacy-officer role alone, and every act is an event on the case
(who, when, why)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.limits import TEXT_CHARS
from maag.runtime.web import http
from services.referral.adapters.dependencies import App, today
from services.referral.application.commands import (
    ErasePersonalData,
    PlaceLegalHold,
    ReleaseLegalHold,
)
from services.referral.application.queries import retention_due as due
from services.referral.application.queries import subject_access as access
from services.referral.application.queries.privacy_record import PrivacyView, privacy_record
from services.referral.application.queries.retention_due import (
    DueView,
    PrivacyDueView,
    retention_of,
)

Reason = Annotated[str, Field(min_length=1, max_length=TEXT_CHARS, description="Why.")]

router = APIRouter(route_class=http.StrictRoute)


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


@router.get("/privacy/cases/{case_id}", response_model=PrivacyView, tags=["privacy"])
def record(case_id: UUID, app: App, caller: http.CallerDep) -> PrivacyView:
    return privacy_record(app, case_id, caller)


@router.post(
    "/privacy/cases/{case_id}/erasure",
    response_model=PrivacyView,
    tags=["privacy"],
    summary="Erase the child's personal details (their key destroyed; decisions stay)",
    description="Refused (409) while the case is under a legal hold.",
)
def erase(
    case_id: UUID,
    body: ErasureRequest,
    app: App,
    asked: http.Asked,
) -> PrivacyView:
    referral = app.handle(
        ErasePersonalData(
            case_id=case_id,
            reason=body.reason,
            today=today(),
            **asked,
        )
    )
    return PrivacyView.of(referral, retention_of(app, referral))


@router.post("/privacy/cases/{case_id}/legal-hold", response_model=PrivacyView, tags=["privacy"])
def hold(
    case_id: UUID,
    body: HoldRequest,
    app: App,
    asked: http.Asked,
) -> PrivacyView:
    referral = app.handle(
        PlaceLegalHold(
            case_id=case_id,
            reason=body.reason,
            until=body.until,
            today=today(),
            **asked,
        )
    )
    return PrivacyView.of(referral, retention_of(app, referral))


@router.post(
    "/privacy/cases/{case_id}/legal-hold/release", response_model=PrivacyView, tags=["privacy"]
)
def release(
    case_id: UUID,
    body: ReleaseRequest,
    app: App,
    asked: http.Asked,
) -> PrivacyView:
    referral = app.handle(
        ReleaseLegalHold(
            case_id=case_id,
            reason=body.reason,
            **asked,
        )
    )
    return PrivacyView.of(referral, retention_of(app, referral))


@router.get(
    "/privacy/retention",
    response_model=list[DueView],
    tags=["privacy"],
    summary="The cases the retention schedule says may now be erased (a dry run)",
    description="`outcome` limits it to those outcomes (closed, declined, "
    "redirected-to-social-care, pending-consent); an unknown one is refused.",
)
def retention(
    app: App, caller: http.CallerDep, outcome: Annotated[list[str] | None, Query()] = None
) -> list[DueView]:
    return due.retention_due(app, caller, outcome or [], today())


@router.get(
    "/privacy/due",
    response_model=list[PrivacyDueView],
    tags=["privacy"],
    summary="What is due for the data protection officer: cases whose retention period ends "
    "within four weeks or has ended, and legal holds whose last day is within four weeks or "
    "has passed unreleased; overdue first, then soonest",
    description="A case whose details are erased is not listed. Each case listed is a "
    "recorded read.",
)
def privacy_due(app: App, caller: http.CallerDep) -> list[PrivacyDueView]:
    return due.privacy_due(app, caller, today())


@router.get(
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
    app: App,
    caller: http.CallerDep,
    authorization: Annotated[str, Header()],
    format: Literal["json", "html"] = "json",
) -> Response:
    # each service's part is read with the caller's own token (each checks and records it)
    token = authorization.partition(" ")[2].strip()
    found = access.subject_access(app, case_id, caller, token)
    if format == "html":
        return HTMLResponse(access.as_html(found))
    return JSONResponse(found.model_dump(mode="json"))
