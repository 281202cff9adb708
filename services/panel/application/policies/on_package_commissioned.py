"""A commissioned package's review is listed when it falls due, on the meeting of the panel
that holds the case (which may no longer be the one that agreed the package)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.commissioning import PackageCommissioned
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import find_case, review_meeting_of

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def on_package_commissioned(d: Delivery[PackageCommissioned], work: Work[PanelApp]) -> None:
    e = d.message
    found = find_case(work, e.case_id)
    if found is None:
        return
    ref = found.ref_for(found.panel)
    meeting = review_meeting_of(work, ref, e.review_on, e.occurred_at)
    found.list_review(e.package_id, e.review_on, meeting)
    work.add(found, meeting)
