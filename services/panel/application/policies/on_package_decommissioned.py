"""A package that has ended has no more reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.commissioning import PackageDecommissioned
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import find_case

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def on_package_decommissioned(d: Delivery[PackageDecommissioned], work: Work[PanelApp]) -> None:
    e = d.message
    found = find_case(work, e.case_id)
    if found is not None:
        found.package_ended(e.package_id, e.reason.value)
        work.add(found)
