"""Who may act for a panel: a panel member (or chair) whose token names that panel's tier and,
for a district MAAG, its district. An auditor may read any panel's records; a case's lead
professional may read that case."""

from __future__ import annotations

from contracts.reference import Role
from maag.runtime.auth import Caller, Forbidden
from services.panel.domain.case import PanelCase
from services.panel.domain.schedule import PanelRef

SITTING = (Role.PANEL_MEMBER, Role.PANEL_CHAIR)


def sits_on(caller: Caller, ref: PanelRef) -> bool:
    if not caller.has(*SITTING) or ref.panel.value not in caller.tiers:
        return False
    return ref.district is None or ref.district.value in caller.districts


def require_seat(caller: Caller, ref: PanelRef, to: str) -> None:
    caller.require(*SITTING, to=to)
    if not sits_on(caller, ref):
        raise Forbidden(f"you do not sit on the {ref.key} panel, so may not {to}")


def leads(caller: Caller, case: PanelCase) -> bool:
    """The caller is the case's lead professional, as the panel last assigned."""
    return caller.leads(case.lead["professional_id"] if case.lead else None)


def require_reader(caller: Caller, ref: PanelRef, to: str) -> None:
    if caller.has(Role.AUDITOR):
        return
    require_seat(caller, ref, to)
