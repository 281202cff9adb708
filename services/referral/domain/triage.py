"""Triage: where a referral goes, and why. Pure. Each rule quotes the sentence of the county's
own description it implements (`docs/rules.md` lists them; tests/unit/services/referral/
test_triage.py tests each).

Sources: the scrutiny review (Children and Young People Policy & Scrutiny Committee, 7
January 2010) and the Improvement East case study (March 2010), in ../shared/domain/.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from contracts.reference import SERVICE_AGENCY, UNIVERSAL_SERVICES, Agency, Service, TransitionBasis

# "The MAAGs will discuss the needs of all children and young people who require the
# coordinated support of two or more agencies over and above universal services."
# "MAAG will accept any referrals that require a multi disciplinary intervention to meet
# complex needs." (scrutiny review)
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


def agencies_above_universal(
    agencies: Iterable[Agency], services: Iterable[Service] = ()
) -> set[Agency]:
    """The agencies whose support above universal services is asked for.

    An agency in `agencies_requested` is asked for support above universal services (that is
    what the field means), unless the referral names services of that agency and every one
    of them is universal (a school, a GP, a health visitor): then it asks only for what every
    child already has. A targeted service (educational psychology, specialist health) counts
    its agency, named or not."""
    named: dict[Agency, set[Service]] = {}
    for service in services:
        named.setdefault(SERVICE_AGENCY[service], set()).add(service)
    above = {a for a in agencies if not named.get(a) or named[a] - UNIVERSAL_SERVICES}
    above |= {a for a, s in named.items() if s - UNIVERSAL_SERVICES}
    return above


def triage(
    *,
    significant_harm_concern: bool,
    agencies_requested: Iterable[Agency],
    transition: bool,
    has_consent: bool,
    has_safeguarding_basis: bool,
    services_requested: Iterable[Service] = (),
    transition_basis: TransitionBasis | None = None,
    stepped_down: bool = False,
) -> Decision:
    if stepped_down:
        return _stepped_down(has_consent, has_safeguarding_basis)
    # "as children's social care will be represented on each panel, will ensure that
    # safeguarding arrangements are robust" (scrutiny review): a concern of significant harm
    # is children's social care's at once, not a MAAG's to list.
    if significant_harm_concern:
        return Decision(
            Outcome.REDIRECTED_TO_SOCIAL_CARE,
            "concern of significant harm: referred to children's social care at once; not a MAAG case",
        )
    above = agencies_above_universal(agencies_requested, services_requested)
    # "MAAGs will also consider transition packages of support to enable children and young
    # people who have been/ or are Looked After or in hospital and those with acute needs to
    # be supported in their local community." (scrutiny review)
    is_transition = transition or transition_basis is not None
    if len(above) < MIN_AGENCIES_ABOVE_UNIVERSAL and not is_transition:
        return Decision(
            Outcome.DECLINED,
            f"needs {MIN_AGENCIES_ABOVE_UNIVERSAL} or more agencies above universal services "
            f"(asked: {', '.join(sorted(a.value for a in above)) or 'none'}) and is not a transition case",
            SIGNPOSTING,
        )
    # "Referrers must ensure they follow appropriate information sharing guidance to obtain
    # consent from families when referring to the MAAG" (scrutiny review).
    if not has_consent and not has_safeguarding_basis:
        return Decision(
            Outcome.PENDING_CONSENT,
            "no consent to share and no safeguarding basis recorded: the referral waits",
        )
    basis = "consent" if has_consent else "a recorded safeguarding basis"
    if len(above) >= MIN_AGENCIES_ABOVE_UNIVERSAL:
        why = f"{len(above)} agencies above universal services"
    else:
        why = f"transition case ({transition_basis.value if transition_basis else 'leaving care or hospital'})"
    return Decision(Outcome.ACCEPTED, f"{why}; sharing on {basis}; routed to the district MAAG")


STEPPED_DOWN = "stepped down by children's social care into the district MAAG"


def _stepped_down(has_consent: bool, has_safeguarding_basis: bool) -> Decision:
    """Children's social care assessed the concern and stepped the case down: the MAAG
    takes it (social care's judgement stands for the threshold), with the family's consent
    or a recorded basis like any other case."""
    if not has_consent and not has_safeguarding_basis:
        return Decision(
            Outcome.PENDING_CONSENT,
            f"{STEPPED_DOWN}; no consent to share and no safeguarding basis recorded: it waits",
        )
    basis = "consent" if has_consent else "a recorded safeguarding basis"
    return Decision(Outcome.ACCEPTED, f"{STEPPED_DOWN}; sharing on {basis}")
