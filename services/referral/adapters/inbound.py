"""The topics the referral service reads, each a table: message type -> its policy
(`application/policies/on_<event>.py`).

Submissions: agencies that integrate by events submit referrals here. Each record is a
`ReferralSubmission` (JSON) with the header `authorization: Bearer <token>`. Position is the
Kafka offset (agencies do not send `ce_sequence`); the submission id is the idempotency key,
so a resent submission finds its case. The decoder never raises: a submission that is
invalid or unauthorised becomes an `InvalidSubmission`, which its policy answers with a
`ReferralRejected` event on the outbound topic (reasons per field) and a dead-letter record.

Panel events: who leads each case and which tier holds it; the referral's need-to-know
follows them.
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
from maag.runtime.web.auth import Forbidden, TokenVerifier, Unauthenticated
from services.referral.application.commands.submit_referral import authorise_submission
from services.referral.application.policies.on_case_closed import on_case_closed
from services.referral.application.policies.on_case_moved import on_case_moved
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
    """Never raises: whatever the record holds, the agency gets a ReferralRejected saying why."""

    def decode(
        headers: Sequence[tuple[str, bytes]], value: bytes | None
    ) -> tuple[None, ValidSubmission | InvalidSubmission]:
        sid, agency = _best_effort(value)
        try:
            submission: ReferralSubmission = strict.validate_json(ReferralSubmission, value or b"")
        except ValidationError as e:
            return None, InvalidSubmission(_problems(e), sid, agency)
        except Exception as e:  # pydantic raises more than ValidationError on odd input
            reason = f"unreadable submission ({type(e).__name__})"
            return None, InvalidSubmission((problem("(submission)", reason),), sid, agency)
        try:
            caller = verifier.from_header(_token(headers))
            authorise_submission(caller, submission)
        except (Unauthenticated, Forbidden) as e:
            kind = "unauthenticated" if isinstance(e, Unauthenticated) else "forbidden"
            return None, InvalidSubmission(
                (problem("header authorization", f"{kind}: {e}"),), sid, agency
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
# submission_id and a known agency, never free text (it could be anyone's personal data).
_ID_LIKE = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")


def _best_effort(value: bytes | None) -> tuple[str | None, str | None]:
    try:
        found = json.loads(value or b"")
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(found, dict):
        return None, None
    sid, agency = found.get("submission_id"), found.get("referring_agency")
    return (
        sid if isinstance(sid, str) and _ID_LIKE.match(sid) else None,
        agency if isinstance(agency, str) and agency in set(Agency) else None,
    )


def _token(headers: Sequence[tuple[str, bytes]]) -> str | None:
    for name, raw in headers or ():
        if name.lower() == "authorization":
            if raw is None or len(raw) > HEADER_VALUE_BYTES:
                return ""
            return raw.decode(errors="replace")
    return None
