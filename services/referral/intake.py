"""The submissions topic: agencies that integrate by events submit referrals here.

Each record is a `ReferralSubmission` (JSON) with the header `authorization: Bearer <token>`.
Position is the Kafka offset (agencies do not send `ce_sequence`); the submission id is
the idempotency key, so a resent submission finds its case. A submission that is invalid
or unauthorised becomes a `ReferralRejected` event on the outbound topic (reasons per
field) and a dead-letter record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from contracts.events.referral import ReferralSubmission
from maag.runtime.auth import Caller, Forbidden, TokenVerifier, Unauthenticated
from maag.runtime.consumer import Delivery, Position, Subscription
from maag.runtime.unit_of_work import Work
from services.referral.application import authorise_submission, receive_or_replay
from services.referral.domain.referral import Referral, ReferralConflict, Rejection, case_id_for


@dataclass(frozen=True)
class ValidSubmission:
    submission: ReferralSubmission
    caller: Caller

    @property
    def case_id(self) -> UUID:
        return case_id_for(self.caller.agency, self.submission.submission_id)


@dataclass(frozen=True)
class InvalidSubmission:
    problems: list[dict[str, str]]
    submission_id: str | None
    referring_agency: str | None


def _problems(e: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "(submission)", "reason": err["msg"]}
        for err in e.errors()
    ]


def _best_effort(value: bytes | None, key: str) -> str | None:
    try:
        found = json.loads(value or b"").get(key)
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) and len(found) <= 100 else None


def decoder(verifier: TokenVerifier) -> Any:
    def decode(
        headers: Sequence[tuple[str, bytes]], value: bytes | None
    ) -> tuple[None, ValidSubmission | InvalidSubmission]:
        sid, agency = _best_effort(value, "submission_id"), _best_effort(value, "referring_agency")
        try:
            submission = ReferralSubmission.model_validate_json(value or b"")
        except ValidationError as e:
            return None, InvalidSubmission(_problems(e), sid, agency)
        token = next(
            (v.decode(errors="replace") for k, v in headers if k.lower() == "authorization"), None
        )
        try:
            caller = verifier.from_header(token)
            authorise_submission(caller, submission)
        except (Unauthenticated, Forbidden) as e:
            kind = "unauthenticated" if isinstance(e, Unauthenticated) else "forbidden"
            return None, InvalidSubmission(
                [{"field": "header authorization", "reason": f"{kind}: {e}"}], sid, agency
            )
        return None, ValidSubmission(submission, caller)

    return decode


def _case_ids(delivery: Delivery[Any]) -> list[UUID]:
    message = delivery.message
    return [message.case_id] if isinstance(message, ValidSubmission) else []


def handle(delivery: Delivery[Any], work: Work) -> None:
    message = delivery.message
    if isinstance(message, ValidSubmission):
        found = work.find(message.case_id)
        existing = found if isinstance(found, Referral) else None
        try:
            referral = receive_or_replay(
                existing,
                message.case_id,
                message.submission,
                message.caller,
                "topic",
                correlation_id=message.submission.submission_id,
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
    assert isinstance(message, InvalidSubmission)
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


def submissions(topic: str, verifier: TokenVerifier) -> Subscription:
    return Subscription(
        topic=topic,
        handle=handle,
        decoder=decoder(verifier),
        position=Position.OFFSET,
        prefetch=_case_ids,
    )
