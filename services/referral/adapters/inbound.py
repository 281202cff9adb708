"""The submissions topic: agencies that integrate by events submit referrals here.

Each record is a `ReferralSubmission` (JSON) with the header `authorization: Bearer <token>`.
Position is the Kafka offset (agencies do not send `ce_sequence`); the submission id is
the idempotency key, so a resent submission finds its case. A submission that is invalid
or unauthorised becomes a `ReferralRejected` event on the outbound topic (reasons per
field) and a dead-letter record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import partial
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from contracts import strict
from contracts.events.panel import (
    CaseClosed,
    CaseEscalated,
    CaseSteppedDown,
    LeadProfessionalAssigned,
)
from contracts.events.referral import ReferralSubmission
from contracts.limits import HEADER_VALUE_BYTES, LABEL_CHARS, PROBLEM_CHARS, PROBLEMS
from contracts.reference import Agency
from maag.runtime.messaging.consumer import Delivery, Position, Subscription, on_events
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Forbidden, TokenVerifier, Unauthenticated
from services.referral.application import policies
from services.referral.application.commands import authorise_submission
from services.referral.application.personal import ChildIndex, Keyring
from services.referral.application.submissions import InvalidSubmission, ValidSubmission


def _problem(field: str, reason: str) -> dict[str, str]:
    return {"field": field[:LABEL_CHARS] or "(submission)", "reason": reason[:PROBLEM_CHARS]}


def _problems(e: ValidationError) -> list[dict[str, str]]:
    found = [_problem(".".join(str(p) for p in err["loc"]), err["msg"]) for err in e.errors()]
    if len(found) > PROBLEMS:  # ReferralRejected holds at most PROBLEMS: say how many more
        more = len(found) - PROBLEMS + 1
        found = [*found[: PROBLEMS - 1], _problem("(submission)", f"and {more} more problems")]
    return found


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


def decoder(verifier: TokenVerifier) -> Any:
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
            return None, InvalidSubmission([_problem("(submission)", reason)], sid, agency)
        try:
            caller = verifier.from_header(_token(headers))
            authorise_submission(caller, submission)
        except (Unauthenticated, Forbidden) as e:
            kind = "unauthenticated" if isinstance(e, Unauthenticated) else "forbidden"
            return None, InvalidSubmission(
                [_problem("header authorization", f"{kind}: {e}")], sid, agency
            )
        return None, ValidSubmission(submission, caller)

    return decode


def _case_ids(delivery: Delivery[Any]) -> list[UUID]:
    message = delivery.message
    return [message.case_id] if isinstance(message, ValidSubmission) else []


def submissions(
    topic: str, verifier: TokenVerifier, keyring: Keyring, index: ChildIndex
) -> Subscription:
    return Subscription(
        topic=topic,
        handle=partial(policies.submission, keyring=keyring, index=index),
        decoder=decoder(verifier),
        position=Position.OFFSET,
        prefetch=_case_ids,
    )


def on_lead_assigned(d: Delivery[LeadProfessionalAssigned], work: Work) -> None:
    e = d.message
    policies.lead_professional_assigned(work, e.case_id, e.professional_id, e.agency.value)


def on_case_closed(d: Delivery[CaseClosed], work: Work) -> None:
    policies.case_closed(work, d.message.case_id, d.message.reason, d.message.occurred_at.date())


def on_case_moved(d: Delivery[CaseEscalated | CaseSteppedDown], work: Work) -> None:
    policies.case_moved(work, d.message.case_id, d.message.to_panel.value)


def panel_events(topic: str) -> Subscription:
    """Who leads each case and which tier holds it, from the panel: the referral's
    need-to-know follows them."""
    return on_events(
        topic,
        {
            LeadProfessionalAssigned: on_lead_assigned,
            CaseClosed: on_case_closed,
            CaseEscalated: on_case_moved,
            CaseSteppedDown: on_case_moved,
        },
        prefetch=lambda d: [d.message.case_id],
    )
