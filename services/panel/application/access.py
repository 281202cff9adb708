"""Who may act for a panel: a panel member (or chair) whose token names that panel's tier and,
for a district MAAG, its district. An auditor may read any panel's records. Access to a case
is the one access policy's (`maag.runtime.policy`): this module says what the panel knows
of a case's scope (its district, the tier holding it, its lead professional, whether it is
open: a closed case, or one paused by a withdrawal of consent, ends its lead's access)."""

from __future__ import annotations

from uuid import UUID

from contracts.reference import Role
from maag.runtime import policy
from maag.runtime.policy import CaseScope
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller, Forbidden
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.rules import NotAMember
from services.panel.domain.schedule import PanelRef
from services.panel.domain.values import CaseStatus

SITTING = (Role.PANEL_MEMBER, Role.PANEL_CHAIR)


def sits_on(caller: Caller, ref: PanelRef) -> bool:
    if not caller.has(*SITTING) or ref.panel.value not in caller.tiers:
        return False
    return ref.district is None or ref.district.value in caller.districts


def require_seat(caller: Caller, ref: PanelRef, to: str) -> None:
    caller.require(*SITTING, to=to)
    if not sits_on(caller, ref):
        raise Forbidden(f"you do not sit on the {ref.key} panel, so may not {to}")


def require_member(caller: Caller, meeting: Meeting) -> None:
    """A seat on the panel's district and tier is not enough where the panel acts as itself
    (its agenda, its declarations): the caller's agency and position must sit on it."""
    if not meeting.constitution.may_sit(caller.agency, caller.position):
        raise NotAMember(
            f"a {caller.position.value} of {caller.agency} does not sit on the "
            f"{meeting.panel.value.upper()} (its members: {meeting.constitution.describe_members()})"
        )


def leads(caller: Caller, case: PanelCase) -> bool:
    """The caller is the case's lead professional, as the panel last assigned."""
    return caller.leads(case.lead.professional_id if case.lead else None)


def require_reader(caller: Caller, ref: PanelRef, to: str) -> None:
    if caller.has(Role.AUDITOR):
        return
    require_seat(caller, ref, to)


def scope_of(case: PanelCase) -> CaseScope:
    return CaseScope(
        case_id=case.id,
        district=case.district.value,
        tier=case.panel.value,
        lead=case.lead.professional_id if case.lead else None,
        # with social care's front door the case is still open: its lead stays until the
        # front door takes it on (the case closes) or steps it down
        open=case.status in (CaseStatus.ACTIVE, CaseStatus.AT_SOCIAL_CARE),
    )


def item_scope(case: PanelCase, meeting: Meeting) -> CaseScope:
    """The case as an item of `meeting`'s agenda: its district, at the meeting's tier (the
    panel that lists it there, which minutes it even after the decision moved it on)."""
    return CaseScope(case_id=case.id, district=case.district.value, tier=meeting.panel.value)


def load(work: Work, case_id: UUID) -> PanelCase:
    return policy.find_case(work, case_id, PanelCase)


def case_scope(work: Work, case_id: UUID) -> CaseScope:
    return scope_of(load(work, case_id))
