"""What every change to a case's Early Help Assessment shares: the case must still hold its
personal details (what an assessment says is sealed under the case's data key, which an
erasure destroys), who acts (as their token names them), and the assessment itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.store.unit_of_work import NotFound, Work
from maag.runtime.web.auth import Caller
from services.referral.application.erasure import key_for_writing
from services.referral.application.personal import seal
from services.referral.domain.assessment import Assessment, Professional, assessment_id_for
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


THEN = "its Early Help Assessment, which holds them, can no longer be written"


def require_details(work: Work, case_id: UUID) -> None:
    """Refused once the case's details were erased (an assessment that holds them with it)."""
    work.get_as(case_id, Referral, "referral").require_personal_details(THEN)


def sealed_on_case(
    app: ReferralApp, work: Work[ReferralApp], case_id: UUID, value: Mapping[str, object]
) -> str:
    """`value` sealed under the case's data key (refused once its details were erased)."""
    referral = work.get_as(case_id, Referral, "referral")
    return seal(key_for_writing(app, work, referral, THEN), case_id, value)


def assessment_of(work: Work, case_id: UUID) -> Assessment:
    """The case's assessment: NotFound naming it when none was recorded yet."""
    found = work.find(assessment_id_for(case_id))
    if not isinstance(found, Assessment):
        raise NotFound(f"assessment: case {case_id} has no Early Help Assessment recorded yet")
    return found


def professional(caller: Caller) -> Professional:
    return Professional(caller.user_id, caller.agency)
