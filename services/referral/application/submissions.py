"""A record from the submissions topic as the decoder leaves it: a submission someone
entitled made, or the problems that make it one the agency must be told of."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts.events.referral import FieldProblem, ReferralSubmission
from contracts.limits import LABEL_CHARS, PROBLEM_CHARS
from maag.runtime.web.auth import Caller
from services.referral.domain.referral import case_id_for


@dataclass(frozen=True)
class ValidSubmission:
    submission: ReferralSubmission
    caller: Caller

    @property
    def case_id(self) -> UUID:
        return case_id_for(self.caller.agency, self.submission.submission_id)

    @property
    def case_ids(self) -> tuple[UUID, ...]:
        """The cases its policy loads (read for the whole batch at once)."""
        return (self.case_id,)


@dataclass(frozen=True)
class InvalidSubmission:
    problems: tuple[FieldProblem, ...]
    submission_id: str | None
    # the agency whose system's token proved it sent the record (never the agency the record
    # claims): its rejection is told to that agency alone, and to none without a token
    referring_agency: str | None
    case_ids: tuple[UUID, ...] = ()  # it makes no case


def problem(field: str, reason: str) -> FieldProblem:
    """A problem as `ReferralRejected` carries it (cut to its limits: it never fails)."""
    return FieldProblem(field=field[:LABEL_CHARS] or "(submission)", reason=reason[:PROBLEM_CHARS])
