"""Need-to-know for a referral: who may read it, and who may see the child's details.

- the referring agency's referrers: the case, with the details they gave;
- the case's lead professional while the panel's assignment stands: the case, with the
  details when they are of the referring agency, the recorded consent names their agency,
  or a safeguarding basis is on record (a withdrawal of consent ends it at once);
- panel members and auditors: the case without the details;
- anyone else: no such case (404, as for a case that does not exist).
"""

from __future__ import annotations

from contracts.reference import Role
from maag.runtime.auth import Caller
from maag.runtime.unit_of_work import NotFound
from services.referral.domain.referral import Referral

READERS = (
    Role.REFERRER,
    Role.PANEL_CHAIR,
    Role.PANEL_MEMBER,
    Role.LEAD_PROFESSIONAL,
    Role.AUDITOR,
)


def is_referrer_of(referral: Referral, caller: Caller) -> bool:
    return caller.has(Role.REFERRER) and caller.agency == referral.agency


def is_lead_of(referral: Referral, caller: Caller) -> bool:
    return caller.leads(referral.lead["professional_id"] if referral.lead else None)


def may_read(referral: Referral, caller: Caller) -> bool:
    return caller.has(Role.PANEL_CHAIR, Role.PANEL_MEMBER, Role.AUDITOR) or (
        is_referrer_of(referral, caller) or is_lead_of(referral, caller)
    )


def require_reader(referral: Referral, caller: Caller) -> None:
    caller.require(*READERS, to="read referrals")
    if not may_read(referral, caller):
        raise NotFound(f"no referral {referral.id}")


def sees_personal_data(referral: Referral, caller: Caller) -> bool:
    if is_referrer_of(referral, caller):
        return True
    if is_lead_of(referral, caller):
        return caller.agency == referral.agency or referral.shares_with(caller.agency)
    return False
