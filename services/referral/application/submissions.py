"""A record from the submissions topic as the decoder leaves it: a submission someone
entitled made, or the problems that make it one the agency must be told of."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts.events.referral import ReferralSubmission
from maag.runtime.web.auth import Caller
from services.referral.domain.referral import case_id_for


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
