"""The panel escalates the case to a higher tier, which lists it on its next meeting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.reference import Panel
from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.decisions import Decision, in_session
from services.panel.application.lookup import carry_reviews, next_meeting_of
from services.panel.domain.case import PanelCase

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class Escalate(Decision):
    to: Panel
    reason: str


@handlers(Escalate)
def escalate(app: PanelApp, c: Escalate, work: Work[PanelApp]) -> PanelCase:
    at = in_session(c, work)
    target = next_meeting_of(work, at.case.ref_for(c.to), at.meeting.starts_at)
    at.case.escalate(at.meeting, c.to, c.reason, c.justification, target)
    carry_reviews(work, at.case, at.meeting, target.starts_at)  # its reviews go with it
    return at.case
