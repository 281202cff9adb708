"""The referral service's API for a case's Early Help Assessment: record a version, authorise
it, review it, close it; read every version (those who may read the child's details), or the
summary those who may read the case are entitled to (no text). Each route is body -> command
-> the one pipeline -> a typed answer, or a query's typed answer."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.limits import KIB, TEXT_CHARS, PastDate
from maag.runtime.web import http
from services.referral.adapters.dependencies import App, today
from services.referral.application.commands import (
    AuthoriseAssessment,
    CloseAssessment,
    RecordAssessment,
    ReviewAssessment,
)
from services.referral.application.queries.assessment_summary import (
    AssessmentSummary,
    assessment_summary,
)
from services.referral.application.queries.read_assessment import (
    AssessmentView,
    read_assessment,
)
from services.referral.domain.assessment import (
    HEADING_CHARS,
    MOST_CHARS,
    VIEW_CHARS,
    ChildDevelopment,
    Content,
    FamilyEnvironment,
    ParentingCapacity,
)

router = APIRouter(route_class=http.StrictRoute)
# A whole version in any script: each character at most 12 bytes of JSON (a character
# outside the Basic Multilingual Plane, escaped as two \uXXXX), and room for the names.
ASSESSMENT_BODY_BYTES = 12 * MOST_CHARS + 16 * KIB

HeadingText = Annotated[str | None, Field(min_length=1, max_length=HEADING_CHARS)]
ViewText = Annotated[str | None, Field(min_length=1, max_length=VIEW_CHARS)]


class FindingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strengths: HeadingText = None
    needs: HeadingText = None


class AssessmentRequest(BaseModel):
    """One version of the assessment, whole: the headings written (each optional; one not
    sent is not recorded in this version), and the three views."""

    model_config = ConfigDict(extra="forbid")

    assessed_on: PastDate = Field(description="The date of the assessment.")
    child_development: dict[ChildDevelopment, FindingBody] = Field(
        default_factory=dict, description="The child's developmental needs, by heading."
    )
    parenting_capacity: dict[ParentingCapacity, FindingBody] = Field(default_factory=dict)
    family_and_environment: dict[FamilyEnvironment, FindingBody] = Field(
        default_factory=dict, description="Family and environmental factors, by heading."
    )
    child_voice: ViewText = Field(default=None, description="The child's voice.")
    parents_view: ViewText = Field(default=None, description="The parents' or carers' view.")
    analysis: ViewText = Field(default=None, description="A short summary of the analysis.")

    def content(self) -> Content:
        return Content.of(self.model_dump(mode="json", exclude={"assessed_on"}))


class AuthorisationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(
        ge=1, description="The version authorised: the assessment as it stands, as read."
    )


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewed_on: PastDate
    note: str = Field(min_length=1, max_length=TEXT_CHARS)


class ClosureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


@router.post(
    "/referrals/{case_id}/assessment",
    status_code=201,
    response_model=AssessmentView,
    tags=["assessment"],
    summary="Record a version of the case's Early Help Assessment (the caller its assessor; "
    "every version stays; a change to an authorised one is a new draft)",
    openapi_extra=http.body_allowance(
        ASSESSMENT_BODY_BYTES, f"request body: larger than {ASSESSMENT_BODY_BYTES} bytes"
    ),
)
def record(case_id: UUID, body: AssessmentRequest, app: App, asked: http.Asked) -> AssessmentView:
    app.handle(
        RecordAssessment(
            case_id=case_id, content=body.content(), assessed_on=body.assessed_on, **asked
        )
    )
    return read_assessment(app, case_id, asked["caller"])


@router.post(
    "/referrals/{case_id}/assessment/authorisation",
    response_model=AssessmentView,
    tags=["assessment"],
    summary="Authorise the assessment as it stands (a manager: not its assessor)",
)
def authorise(
    case_id: UUID, body: AuthorisationRequest, app: App, asked: http.Asked
) -> AssessmentView:
    app.handle(AuthoriseAssessment(case_id=case_id, version=body.version, today=today(), **asked))
    return read_assessment(app, case_id, asked["caller"])


@router.post(
    "/referrals/{case_id}/assessment/reviews",
    response_model=AssessmentView,
    tags=["assessment"],
    summary="Review the authorised assessment (dated, with a note; as often as needed)",
)
def review(case_id: UUID, body: ReviewRequest, app: App, asked: http.Asked) -> AssessmentView:
    app.handle(
        ReviewAssessment(case_id=case_id, reviewed_on=body.reviewed_on, note=body.note, **asked)
    )
    return read_assessment(app, case_id, asked["caller"])


@router.post(
    "/referrals/{case_id}/assessment/closure",
    response_model=AssessmentView,
    tags=["assessment"],
    summary="Close the assessment, with a reason (nothing is recorded on it after)",
)
def close(case_id: UUID, body: ClosureRequest, app: App, asked: http.Asked) -> AssessmentView:
    app.handle(CloseAssessment(case_id=case_id, reason=body.reason, today=today(), **asked))
    return read_assessment(app, case_id, asked["caller"])


@router.get(
    "/referrals/{case_id}/assessment",
    response_model=AssessmentView,
    tags=["assessment"],
    summary="The case's Early Help Assessment, every version, with its authorisations, "
    "reviews and closure (the read is recorded)",
)
def read(case_id: UUID, app: App, caller: http.CallerDep) -> AssessmentView:
    return read_assessment(app, case_id, caller)


@router.get(
    "/referrals/{case_id}/assessment/summary",
    response_model=AssessmentSummary,
    tags=["assessment"],
    summary="Where the case's assessment stands, its dates, and for each heading whether "
    "needs were recorded: no text (for those who may read the case; the read is recorded)",
)
def summary(case_id: UUID, app: App, caller: http.CallerDep) -> AssessmentSummary:
    return assessment_summary(app, case_id, caller)
