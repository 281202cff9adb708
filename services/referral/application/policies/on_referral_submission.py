"""A submission from the topic, from someone entitled: the referral it makes (or the one
its submission id already made); a resend of another submission under the same id is
rejected, and the agency told why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands.submit_referral import find, receive_or_replay
from services.referral.application.policies.on_invalid_submission import on_invalid_submission
from services.referral.application.submissions import (
    InvalidSubmission,
    ValidSubmission,
    problem,
)
from services.referral.domain.values import Channel, ReferralConflict

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


def on_referral_submission(d: Delivery[ValidSubmission], work: Work[ReferralApp]) -> None:
    m, app = d.message, work.app
    # The submitting professional's act, answered under the submission's id.
    work.act_as(m.caller.record, m.submission.submission_id)
    try:
        referral = receive_or_replay(
            find(work, m.case_id), m.case_id, m.submission, Channel.TOPIC, app.keyring, app.index
        )
    except ReferralConflict as e:
        refused = InvalidSubmission(
            (problem(*_field_and_rule(str(e))),), m.submission.submission_id, m.caller.agency
        )
        on_invalid_submission(Delivery(refused, d.envelope, d.topic, d.partition, d.offset), work)
    else:
        work.add(referral)


def _field_and_rule(refusal: str) -> tuple[str, str]:
    """The field a refusal names ("consent.given_by_name: ..."), or the submission's id."""
    field, sep, rule = refusal.partition(": ")
    if sep and field.replace(".", "").replace("_", "").isalpha() and field.islower():
        return field, rule
    return "submission_id", refusal
