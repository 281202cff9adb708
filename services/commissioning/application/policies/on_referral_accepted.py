"""A referral accepted (again, once consent is given after a withdrawal): its case resumes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.referral import ReferralAccepted
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import SERVICE
from services.commissioning.application.commands.resume_case import ResumeCase

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def on_referral_accepted(d: Delivery[ReferralAccepted], work: Work[CommissioningApp]) -> None:
    e = d.message
    resume = ResumeCase(
        case_id=e.case_id, caller=SERVICE, correlation_id=d.correlation_id or str(e.case_id)
    )
    work.app.handle(resume, work)
