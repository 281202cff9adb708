"""Authorise the current version of the case's Early Help Assessment (a manager: another
person than its assessor). The version is named, so that one recorded meanwhile, which the
manager has not read, is not authorised unseen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.assessments import (
    assessment_of,
    professional,
    require_details,
)
from services.referral.application.commands import handlers
from services.referral.domain.assessment import Assessment, AssessmentConflict

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class AuthoriseAssessment(Command):
    action: ClassVar[Action | None] = Action.WRITE_NOTE
    case_id: UUID
    version: int
    today: date


@handlers(AuthoriseAssessment)
def authorise_assessment(
    app: ReferralApp, c: AuthoriseAssessment, work: Work[ReferralApp]
) -> Assessment:
    require_details(work, c.case_id)
    assessment = assessment_of(work, c.case_id)
    if assessment.current.number != c.version:
        raise AssessmentConflict(
            f"version: version {c.version} is not the assessment as it stands (version "
            f"{assessment.current.number} is); read it before authorising it"
        )
    assessment.authorise(professional(c.caller), c.today)
    work.add(assessment)
    return assessment
