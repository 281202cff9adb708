"""A review's change in the level of need updates the case, so later thresholds use it; a
package that goes on is listed for its next review, at the panel that holds the case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.commissioning import PackageReviewed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import find_case, review_meeting_of

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def on_package_reviewed(d: Delivery[PackageReviewed], work: Work[PanelApp]) -> None:
    e = d.message
    found = find_case(work, e.case_id)
    if found is None:
        return
    if e.level_of_need_change:
        found.reassess(e.package_id, e.level_of_need_change)
        work.add(found)
    if e.next_review_on is not None:
        ref = found.ref_for(found.panel)
        meeting = review_meeting_of(work, ref, e.next_review_on, e.occurred_at)
        found.list_review(e.package_id, e.next_review_on, meeting)
        work.add(found, meeting)
