"""The summary of a case's Early Help Assessment that those who may read the case are
entitled to (the policy's READ_CASE: the panel sitting on its district and tier among
them): where it stands and when, and for each heading only whether needs were recorded,
never what anyone wrote. The read is recorded."""

from __future__ import annotations

from datetime import date
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
    Status,
    assessment_id_for,
)

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class NeedsRecorded(BaseModel):
    """Each heading: whether needs were recorded under it."""

    child_development: dict[ChildDevelopment, bool]
    parenting_capacity: dict[ParentingCapacity, bool]
    family_and_environment: dict[FamilyEnvironment, bool]


class AssessmentSummary(BaseModel):
    case_id: UUID
    status: Status
    version: int = Field(description="The version the assessment stands at.")
    assessed_on: date = Field(description="The date of that version's assessment.")
    authorised_on: date | None = Field(description="When that version was authorised.")
    last_reviewed_on: date | None
    closed_on: date | None
    needs_recorded: NeedsRecorded | None = Field(
        description="For each heading of the version, whether needs were recorded (never "
        "what); null once the case's details were erased."
    )


def assessment_summary(app: ReferralApp, case_id: UUID, caller: Caller) -> AssessmentSummary:
    read_case(app, caller, Action.READ_CASE, case_id, load, scope_of)
    assessment = Work(app).find(assessment_id_for(case_id))
    if not isinstance(assessment, Assessment):
        raise NotFound(f"assessment: case {case_id} has no Early Help Assessment recorded yet")
    current, review = assessment.current, assessment.last_review
    return AssessmentSummary(
        case_id=case_id,
        status=assessment.status,
        version=current.number,
        assessed_on=current.assessed_on,
        authorised_on=current.authorised.on if current.authorised else None,
        last_reviewed_on=review.on if review else None,
        closed_on=assessment.closure.on if assessment.closure else None,
        needs_recorded=_needs(app, case_id, current.sealed_content),
    )


def _needs(app: ReferralApp, case_id: UUID, sealed: str | None) -> NeedsRecorded | None:
    """Opened here to count, and only the booleans leave: None once erased."""
    key = app.keyring.find(case_id)
    if key is None or sealed is None:
        return None
    try:
        content = Content.of(unseal(key, case_id, sealed))
    except PersonalDataErased:
        return None
    return NeedsRecorded.model_validate(
        {d.value: headings for d, headings in content.needs_recorded().items()}
    )
