"""Read a case's Early Help Assessment, every version, its authorisations, reviews and
closure. What it says follows the child's details (the policy's READ_CHILD), opened with the
case's key (gone once the details were erased); the read is recorded."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.store.unit_of_work import NotFound, Work
from maag.runtime.web.auth import Caller
from services.referral.application.access import load, scope_of
from services.referral.application.personal import PersonalDataErased, unseal
from services.referral.domain.assessment import (
    Assessment,
    ChildDevelopment,
    Content,
    FamilyEnvironment,
    ParentingCapacity,
    Professional,
    Status,
    assessment_id_for,
)

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class ProfessionalView(BaseModel):
    professional_id: str
    agency: str

    @classmethod
    def of(cls, p: Professional) -> ProfessionalView:
        return cls(professional_id=p.professional_id, agency=p.agency)


class FindingView(BaseModel):
    strengths: str | None
    needs: str | None


class ContentView(BaseModel):
    """What one version says: only the headings written."""

    child_development: dict[ChildDevelopment, FindingView]
    parenting_capacity: dict[ParentingCapacity, FindingView]
    family_and_environment: dict[FamilyEnvironment, FindingView]
    child_voice: str | None
    parents_view: str | None
    analysis: str | None = Field(description="The summary of the analysis.")

    @classmethod
    def of(cls, content: Content) -> ContentView:
        return cls.model_validate(content.plain())


class AuthorisationView(BaseModel):
    by: ProfessionalView
    on: date


class ReviewView(BaseModel):
    version: int
    reviewed_on: date
    by: ProfessionalView
    note: str | None = Field(description="null once the case's details were erased")


class VersionView(BaseModel):
    number: int
    status: Status = Field(description="draft or authorised")
    recorded_at: datetime
    assessed_on: date
    assessed_by: ProfessionalView
    authorised: AuthorisationView | None
    content: ContentView | None = Field(description="null once the case's details were erased")


class ClosureView(BaseModel):
    closed_on: date
    by: ProfessionalView
    reason: str | None = Field(description="null once the case's details were erased")


class AssessmentView(BaseModel):
    case_id: UUID
    status: Status
    current_version: int
    versions: list[VersionView] = Field(description="Every version, oldest first.")
    reviews: list[ReviewView] = Field(description="Oldest first.")
    closure: ClosureView | None


def read_assessment(app: ReferralApp, case_id: UUID, caller: Caller) -> AssessmentView:
    read_case(app, caller, Action.READ_CHILD, case_id, load, scope_of)
    found = assessment_view(app, case_id)
    if found is None:
        raise NotFound(f"assessment: case {case_id} has no Early Help Assessment recorded yet")
    return found


def assessment_view(app: ReferralApp, case_id: UUID) -> AssessmentView | None:
    """The case's assessment with what it says opened (the caller has been authorised), or
    None: none recorded."""
    assessment = Work(app).find(assessment_id_for(case_id))
    if not isinstance(assessment, Assessment):
        return None
    key = app.keyring.find(case_id)

    def opened(sealed: str | None, name: str) -> object | None:
        if key is None or sealed is None:
            return None
        try:
            return unseal(key, case_id, sealed).get(name)
        except PersonalDataErased:
            return None

    def content(sealed: str | None) -> ContentView | None:
        if key is None or sealed is None:
            return None
        try:
            return ContentView.of(Content.of(unseal(key, case_id, sealed)))
        except PersonalDataErased:
            return None

    return AssessmentView(
        case_id=case_id,
        status=assessment.status,
        current_version=assessment.current.number,
        versions=[
            VersionView(
                number=v.number,
                status=v.status,
                recorded_at=v.recorded_at,
                assessed_on=v.assessed_on,
                assessed_by=ProfessionalView.of(v.assessor),
                authorised=AuthorisationView(
                    by=ProfessionalView.of(v.authorised.by), on=v.authorised.on
                )
                if v.authorised
                else None,
                content=content(v.sealed_content),
            )
            for v in assessment.versions
        ],
        reviews=[
            ReviewView(
                version=r.version,
                reviewed_on=r.on,
                by=ProfessionalView.of(r.by),
                note=_text(opened(r.sealed_note, "note")),
            )
            for r in assessment.reviews
        ],
        closure=ClosureView(
            closed_on=assessment.closure.on,
            by=ProfessionalView.of(assessment.closure.by),
            reason=_text(opened(assessment.closure.sealed_reason, "reason")),
        )
        if assessment.closure
        else None,
    )


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)
