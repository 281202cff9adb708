"""Need-to-know for a referral, as the one access policy (`maag.runtime.policy`) decides it:
this module only says what the referral service knows of a case's scope.

In short: the referring agency's referrers read the case with the child's details; its
case system reads the outcome; panel members who sit on the case's district and tier read
it without the details; the current lead professional of an open case reads it, with the
details where their agency may have them (the referring agency, named by the consent in
force, or a safeguarding basis); auditors read it without the details; anyone else is told
there is no such case (404).
"""

from __future__ import annotations

from uuid import UUID

from maag.runtime import policy
from maag.runtime.policy import Action, CaseScope
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.domain.referral import Referral

READERS = policy.roles_for(Action.READ_CASE)


def scope_of(referral: Referral) -> CaseScope:
    consent = referral.consent
    return CaseScope(
        case_id=referral.id,
        agency=referral.agency,
        district=referral.district,
        tier=referral.tier,
        lead=referral.lead["professional_id"] if referral.lead else None,
        consent=frozenset(consent["scope"]) if consent else frozenset(),
        safeguarding_basis=referral.safeguarding_basis is not None,
        # a lead's access ends at closure and at a withdrawal of consent (the case pauses)
        open=referral.closed is None and not referral.paused,
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
