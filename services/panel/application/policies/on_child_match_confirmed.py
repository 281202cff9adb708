"""A confirmed match: a referral not yet worked here joins the child's open case (a referral
not yet accepted joins it when it is, `on_referral_accepted`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.referral import ChildMatchConfirmed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import (
    agenda_open_of,
    find_case,
    meetings_listing,
    open_case,
)

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def on_child_match_confirmed(d: Delivery[ChildMatchConfirmed], work: Work[PanelApp]) -> None:
    e = d.message
    found = find_case(work, e.case_id)
    into = open_case(work, e.joins_case_id)
    if found is None or into is None or not found.may_join_another():
        return
    meetings = meetings_listing(work, found)
    meeting = agenda_open_of(work, into.ref, e.occurred_at)
    found.join_into(into, meetings, meeting)
    work.add(found, into, meeting, *meetings)
