"""Who may read the emails sent about a case is the one access policy's
(`maag.runtime.policy`): this module says what the notifications service knows of a case's
scope, its district, the tier holding it and its lead while open (nothing, for a case never
listed)."""

from __future__ import annotations

from uuid import UUID

from maag.runtime.policy import CaseScope
from maag.runtime.store.unit_of_work import Work
from services.notifications.domain.known_case import KnownCase, known_case_id


def case_scope(work: Work, case_id: UUID) -> CaseScope:
    found = work.find(known_case_id(case_id))
    if not isinstance(found, KnownCase):
        return CaseScope(case_id=case_id)
    return CaseScope(
        case_id=case_id, district=found.district, tier=found.tier, lead=found.lead, open=found.open
    )
