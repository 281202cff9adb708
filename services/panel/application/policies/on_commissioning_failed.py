"""A package the panel agreed could not be commissioned: back on that panel's next agenda,
with the reason, so it decides again (and its people are told, once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.commissioning import CommissioningFailed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import agenda_open_of, find_case

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def on_commissioning_failed(d: Delivery[CommissioningFailed], work: Work[PanelApp]) -> None:
    e = d.message
    found = find_case(work, e.case_id)
    if found is None:
        return
    # the panel's next meeting after the one that agreed the package (not that one again)
    agreed = found.agreed_at(e.package_id)
    after = max(e.occurred_at, agreed) if agreed else e.occurred_at
    meeting = agenda_open_of(work, found.ref_for(found.panel), after)  # where it is held
    if found.relist_after_failure(e.package_id, e.reason, e.detail, meeting):
        work.add(found, meeting)
