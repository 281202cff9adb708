"""Need-to-know for a referral, as the one access policy (`maag.runtime.policy`) decides it:
this module only says what the referral service knows of a case's scope.

In short: the referring agency's referrers read the case with the child's details; its
case system reads the outcome; panel members who sit on the case's district and tier read
it without the details; the current lead professional of an open case reads it, with the
details where their agency may have them (the referring agency, named by the consent in
force, or a safeguarding basis); children's social care's front door reads a case referred
to it, with the details, and answers it; auditors read it without the details; anyone else
is told there is no such case (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from maag.runtime import policy
from maag.runtime.policy import Action, CaseScope
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.domain.referral import Referral
from services.referral.domain.values import Match

READERS = policy.roles_for(Action.READ_CASE)


def scope_of(referral: Referral) -> CaseScope:
    consent = referral.consent
    return CaseScope(
        case_id=referral.id,
        agency=referral.agency,
        district=referral.district,
        tier=referral.tier,
        lead=referral.lead.professional_id if referral.lead else None,
        consent=frozenset(a.value for a in consent.scope) if consent else frozenset(),
        safeguarding_basis=referral.safeguarding_basis is not None,
        # a lead's access ends at closure and at a withdrawal of consent (the case pauses)
        open=referral.closed is None and not referral.paused,
        at_social_care=referral.with_social_care,
    )


def load(work: Work, case_id: UUID) -> Referral:
    return policy.find_case(work, case_id, Referral)


def case_scope(work: Work, case_id: UUID) -> CaseScope:
    """The pipeline's view of a case here."""
    return scope_of(load(work, case_id))


def may_read(referral: Referral, caller: Caller) -> bool:
    return policy.may_read(caller, scope_of(referral))


def require_reader(referral: Referral, caller: Caller) -> None:
    policy.require(caller, Action.READ_CASE, scope_of(referral))


def sees_personal_data(referral: Referral, caller: Caller) -> bool:
    return policy.allows(caller, Action.READ_CHILD, scope_of(referral))


@dataclass(frozen=True)
class VisibleMatch:
    """An offer the caller may know of, with the child's referrals (all of which they may
    read)."""

    match: Match
    referrals: list[Referral]


def visible_offers(work: Work, referral: Referral, caller: Caller) -> list[VisibleMatch]:
    """The offers made for this referral that the caller may know of: those whose every
    referral they may read. Another agency's child is never confirmed, or even hinted at, to
    someone who cannot read that agency's referral (a probe learns nothing); a panel member
    resolves such a match."""
    found = []
    for match in referral.offers.values():
        # A case the index knew of whose referral is not stored (yet: its submission is
        # committing at this moment; or ever: that commit failed) is one nobody can read.
        theirs = [r for c in match.offer.case_ids if isinstance(r := work.find(c), Referral)]
        if len(theirs) == len(match.offer.case_ids) and all(may_read(r, caller) for r in theirs):
            found.append(VisibleMatch(match, theirs))
    return found
