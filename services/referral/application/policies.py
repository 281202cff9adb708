"""What the referral service does with a submission from the topic: the referral it
makes (or the one its submission id already made), or a rejection the agency is told of."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands import receive_or_replay
from services.referral.application.personal import ChildIndex, Keyring
from services.referral.application.submissions import InvalidSubmission, ValidSubmission
from services.referral.domain.referral import Referral, ReferralConflict, Rejection


def submission(
    delivery: Delivery[ValidSubmission | InvalidSubmission],
    work: Work,
    keyring: Keyring,
    index: ChildIndex,
) -> None:
    message = delivery.message
    if isinstance(message, ValidSubmission):
        found = work.find(message.case_id)
        existing = found if isinstance(found, Referral) else None
        # The submitting professional's act, answered under the submission's id.
        work.act_as(message.caller.record, message.submission.submission_id)
        try:
            referral = receive_or_replay(
                existing, message.case_id, message.submission, "topic", keyring, index
            )
        except ReferralConflict as e:
            message = InvalidSubmission(
                [{"field": "submission_id", "reason": str(e)}],
                message.submission.submission_id,
                message.caller.agency,
            )
        else:
            work.add(referral)
            return
    rejection = Rejection(
        source=f"{delivery.topic}:{delivery.partition}:{delivery.offset}",
        submission_id=message.submission_id,
        referring_agency=message.referring_agency,
        partition=delivery.partition,
        offset=delivery.offset,
        problems=message.problems,
    )
    work.add(rejection)
    work.dead_letter("; ".join(f"{p['field']}: {p['reason']}" for p in message.problems))


def lead_professional_assigned(
    work: Work, case_id: UUID, professional_id: str, agency: str
) -> None:
    """The panel named who leads the case: from now they may read it (services.referral.
    application.access); a reassignment moves that to the new lead at once."""
    referral = find_referral(work, case_id)
    if referral is not None:
        referral.note_lead_professional(professional_id, agency)
        work.add(referral)


def case_moved(work: Work, case_id: UUID, panel: str) -> None:
    """The panel escalated or stepped the case down: who sits on that tier acts on it here."""
    referral = find_referral(work, case_id)
    if referral is not None:
        referral.note_tier(panel)
        work.add(referral)


def case_closed(work: Work, case_id: UUID, reason: str, closed_on: date) -> None:
    """The panel closed the case: its lead professional's access ends, and the time its
    details are kept is counted from now."""
    referral = find_referral(work, case_id)
    if referral is not None:
        referral.note_closed(reason, closed_on)
        work.add(referral)


def find_referral(work: Work, case_id: UUID) -> Referral | None:
    found = work.find(case_id)
    return found if isinstance(found, Referral) else None
