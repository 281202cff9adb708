"""Close the case's Early Help Assessment, with a reason (sealed under the case's data key:
it may say why about the family); nothing is recorded on it after."""

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
    sealed_on_case,
)
from services.referral.application.commands import handlers
from services.referral.domain.assessment import Assessment

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class CloseAssessment(Command):
    action: ClassVar[Action | None] = Action.WRITE_NOTE
    case_id: UUID
    reason: str
    today: date


@handlers(CloseAssessment)
def close_assessment(app: ReferralApp, c: CloseAssessment, work: Work[ReferralApp]) -> Assessment:
    sealed = sealed_on_case(app, work, c.case_id, {"reason": c.reason})
    assessment = assessment_of(work, c.case_id)
    assessment.close(c.today, sealed, professional(c.caller))
    work.add(assessment)
    return assessment
