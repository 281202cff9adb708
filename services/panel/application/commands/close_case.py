"""The panel closes the case (its lead professional's access to it ends); it leaves every
agenda it is still on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.reference import ClosureOutcome
from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.decisions import Decision, in_session
from services.panel.application.lookup import meetings_listing
from services.panel.domain.case import PanelCase

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class Close(Decision):
    reason: str
    outcomes: tuple[ClosureOutcome, ...] = ()


@handlers(Close)
def close_case(app: PanelApp, c: Close, work: Work[PanelApp]) -> PanelCase:
    at = in_session(c, work)
    others = meetings_listing(work, at.case)
    at.case.close(at.meeting, c.reason, c.outcomes, others)
    work.add(*others)
    return at.case
