"""The topics the referral service reads, each a table: message type -> its policy
(`application/policies/on_<event>.py`).

Submissions: agencies that integrate by events submit referrals here. Each record is a
`ReferralSubmission` (JSON) with the header `authorization: Bearer <token>`. Position is the
Kafka offset (agencies do not send `ce_sequence`); the submission id is the idempotency key,
so a resent submission finds its case. The decoder never raises: a submission that is
invalid or unauthorised becomes an `InvalidSubmission`, which its policy answers with a
`ReferralRejected` event on the outbound topic (reasons per field) and a dead-letter record.

Panel events: who leads each case and which tier holds it; the referral's need-to-know
follows them. A panel's referral to children's social care is made here, where the child's
details are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from contracts import strict
from contracts.events import IntegrationEvent
from contracts.events.panel import (
    CaseClosed,
    CaseEscalated,
    CaseReferredToSocialCare,
    CaseSteppedDown,
    LeadProfessionalAssigned,
)
from contracts.events.referral import FieldProblem, ReferralSubmission
from contracts.limits import HEADER_VALUE_BYTES, PROBLEMS
from contracts.reference import Agency
from maag.runtime.messaging.consumer import (
    Decoder,
    Delivery,
    Handler,
    Position,
    Subscription,
    on_events,
)
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller, Forbidden, TokenVerifier, Unauthenticated
from services.referral.application.commands.submit_referral import authorise_submission
from services.referral.application.policies.on_case_closed import on_case_closed
from services.referral.application.policies.on_case_moved import on_case_moved
from services.referral.application.policies.on_case_referred_to_social_care import (
    on_case_referred_to_social_care,
)
from services.referral.application.policies.on_invalid_submission import on_invalid_submission
from services.referral.application.policies.on_lead_professional_assigned import (
    on_lead_professional_assigned,
)
from services.referral.application.policies.on_referral_submission import (
    on_referral_submission,
)
from services.referral.application.submissions import InvalidSubmission, ValidSubmission, problem

# The submissions topic: what the decoder made of a record -> its policy.
SUBMISSIONS: Mapping[type, Handler] = {
    ValidSubmission: on_referral_submission,
    InvalidSubmission: on_invalid_submission,
}

# The panel's events topic: the events the referral acts on (others are passed over).
PANEL_EVENTS: Mapping[type[IntegrationEvent], Handler] = {
    LeadProfessionalAssigned: on_lead_professional_assigned,
    CaseClosed: on_case_closed,
    CaseEscalated: on_case_moved,
    CaseSteppedDown: on_case_moved,
    CaseReferredToSocialCare: on_case_referred_to_social_care,
}


def submissions(topic: str, verifier: TokenVerifier) -> Subscription:
    def handle(d: Delivery[ValidSubmission | InvalidSubmission], work: Work[Any]) -> None:
        SUBMISSIONS[type(d.message)](d, work)

    return Subscription(
        topic=topic,
        handle=handle,
        decoder=decoder(verifier),
        position=Position.OFFSET,
        prefetch=lambda d: d.message.case_ids,
    )


def panel_events(topic: str) -> Subscription:
    return on_events(topic, PANEL_EVENTS, prefetch=lambda d: [d.message.case_id])


def decoder(verifier: TokenVerifier) -> Decoder:
    """Never raises: whatever the record holds, the sender gets a ReferralRejected saying why.

    The token is checked first, whatever else is wrong: a rejection names (and goes to the
    outcomes topic of) the agency whose system's token proved it sent the record, never the
    agency a record claims, so no one can have a rejection appear under another agency's
    submission id. A record no token proves is answered to no agency (its dead letter and the
    shared record keep it)."""

    def decode(
        headers: Sequence[tuple[str, bytes]], value: bytes | None
    ) -> tuple[None, ValidSubmission | InvalidSubmission]:
        sid = _best_effort(value)
        try:
            caller: Caller | None = verifier.from_header(_token(headers))
        except Unauthenticated as e:
            caller, unauthenticated = None, e
        agency = _answered_to(caller)
        try:
            submission: ReferralSubmission = strict.validate_json(ReferralSubmission, value or b"")
        except ValidationError as e:
            return None, InvalidSubmission(_problems(e), sid, agency)
        except Exception as e:  # pydantic raises more than ValidationError on odd input
            reason = f"unreadable submission ({type(e).__name__})"
            return None, InvalidSubmission((problem("(submission)", reason),), sid, agency)
        if caller is None:
            reason = f"unauthenticated: {unauthenticated}"
            return None, InvalidSubmission((problem("header authorization", reason),), sid, None)
        try:
            authorise_submission(caller, submission)
        except Forbidden as e:
            return None, InvalidSubmission(
                (problem("header authorization", f"forbidden: {e}"),), sid, agency
            )
        return None, ValidSubmission(submission, caller)

    return decode


def _problems(e: ValidationError) -> tuple[FieldProblem, ...]:
    found = [problem(".".join(str(p) for p in err["loc"]), err["msg"]) for err in e.errors()]
    if len(found) > PROBLEMS:  # ReferralRejected holds at most PROBLEMS: say how many more
        more = len(found) - PROBLEMS + 1
        found = [*found[: PROBLEMS - 1], problem("(submission)", f"and {more} more problems")]
    return tuple(found)


# What of an invalid submission is echoed on the shared events topic: only an id-like
# submission_id and the agency its token proved, never free text (it could be anyone's
# personal data).
_ID_LIKE = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")


def _best_effort(value: bytes | None) -> str | None:
    """The record's submission id, where it has an id-like one."""
    try:
        found = json.loads(value or b"")
    except (ValueError, RecursionError):
        return None
    if not isinstance(found, dict):
        return None
    sid = found.get("submission_id")
    return sid if isinstance(sid, str) and _ID_LIKE.match(sid) else None


def _answered_to(caller: Caller | None) -> str | None:
    """The agency a rejection is answered to: the verified caller's, where it is an agency."""
    if caller is None or caller.agency not in set(Agency):
        return None
    return caller.agency


def _token(headers: Sequence[tuple[str, bytes]]) -> str | None:
    for name, raw in headers or ():
        if name.lower() == "authorization":
            if raw is None or len(raw) > HEADER_VALUE_BYTES:
                return ""
            return raw.decode(errors="replace")
    return None
