"""A submission that cannot be taken (invalid, unauthenticated, not the sender's to make):
kept as a `Rejection`, which tells the agency why (`ReferralRejected`, a reason per field),
and the record dead-lettered with the same reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.referral.application.submissions import InvalidSubmission
from services.referral.domain.referral import Rejection

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


def on_invalid_submission(d: Delivery[InvalidSubmission], work: Work[ReferralApp]) -> None:
    m = d.message
    rejection = Rejection(
        source=f"{d.topic}:{d.partition}:{d.offset}",
        submission_id=m.submission_id,
        referring_agency=m.referring_agency,
        partition=d.partition,
        offset=d.offset,
        problems=[p.model_dump() for p in m.problems],
    )
    work.add(rejection)
    work.dead_letter("; ".join(f"{p.field}: {p.reason}" for p in m.problems))
