"""Record a version of the case's Early Help Assessment: the first, or a change (every
version stays). Its content is sealed under the case's data key, like a note; the assessor is
the caller. A change to an authorised version is a new draft, to be authorised again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.assessments import professional, sealed_on_case
from services.referral.application.commands import handlers
from services.referral.domain.assessment import Assessment, Content, assessment_id_for

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class RecordAssessment(Command):
    action: ClassVar[Action | None] = Action.WRITE_NOTE
    case_id: UUID
    content: Content
    assessed_on: date


@handlers(RecordAssessment)
def record_assessment(app: ReferralApp, c: RecordAssessment, work: Work[ReferralApp]) -> Assessment:
    sealed = sealed_on_case(app, work, c.case_id, c.content.plain())
    found = work.find(assessment_id_for(c.case_id))
    assessment = found if isinstance(found, Assessment) else Assessment(case_id=c.case_id)
    assessment.record(sealed, c.assessed_on, professional(c.caller))
    work.add(assessment)
    return assessment
