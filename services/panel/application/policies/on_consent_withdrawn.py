"""Consent withdrawn (with no safeguarding basis to go on): the case leaves every agenda and
takes no decisions until consent is given again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.referral import ConsentWithdrawn
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import find_case, meetings_listing

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def on_consent_withdrawn(d: Delivery[ConsentWithdrawn], work: Work[PanelApp]) -> None:
    e = d.message
    found = find_case(work, e.case_id)
    if found is None or e.continues_on_safeguarding_basis:
        return
    meetings = meetings_listing(work, found)
    found.pause("consent withdrawn", meetings)
    work.add(found, *meetings)
