"""Triage: where a referral goes, and why. Pure; the thresholds are the county's common ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from contracts.reference import Agency

# Services every child can use without a referral; MAAG is for needs above them.
UNIVERSAL_SERVICES: frozenset[Agency] = frozenset(
    {Agency.EDUCATION, Agency.PRIMARY_HEALTH, Agency.CHILDRENS_CENTRES}
)
MIN_AGENCIES_ABOVE_UNIVERSAL = 2

SIGNPOSTING = (
    "Needs can be met by a single agency or universal services: continue the CAF with "
    "the lead agency's own services, or contact the district's Children's Centre, school "
    "or GP. Refer again if two or more agencies above universal services become needed."
)


class Outcome(StrEnum):
    REDIRECTED_TO_SOCIAL_CARE = "redirected-to-social-care"
    DECLINED = "declined"
    PENDING_CONSENT = "pending-consent"
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    signposting: str | None = None


def agencies_above_universal(agencies: Iterable[Agency]) -> set[Agency]:
    return {a for a in agencies if a not in UNIVERSAL_SERVICES}


def triage(
    *,
    significant_harm_concern: bool,
    agencies_requested: Iterable[Agency],
    transition: bool,
    has_consent: bool,
    has_safeguarding_basis: bool,
) -> Decision:
    if significant_harm_concern:
        return Decision(
            Outcome.REDIRECTED_TO_SOCIAL_CARE,
            "concern of significant harm: referred to children's social care at once; not a MAAG case",
        )
    above = agencies_above_universal(agencies_requested)
    if len(above) < MIN_AGENCIES_ABOVE_UNIVERSAL and not transition:
        return Decision(
            Outcome.DECLINED,
            f"needs {MIN_AGENCIES_ABOVE_UNIVERSAL} or more agencies above universal services "
            f"(asked: {', '.join(sorted(a.value for a in above)) or 'none'}) and is not a transition case",
            SIGNPOSTING,
        )
    if not has_consent and not has_safeguarding_basis:
        return Decision(
            Outcome.PENDING_CONSENT,
            "no consent to share and no safeguarding basis recorded: the referral waits",
        )
    basis = "consent" if has_consent else "a recorded safeguarding basis"
    why = (
        "transition case"
        if len(above) < MIN_AGENCIES_ABOVE_UNIVERSAL
        else (f"{len(above)} agencies above universal services")
    )
    return Decision(Outcome.ACCEPTED, f"{why}; sharing on {basis}; routed to the district MAAG")
