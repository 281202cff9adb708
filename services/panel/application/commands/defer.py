"""The panel defers the case to its own next meeting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.decisions import Decision, in_session
from services.panel.application.lookup import next_meeting_of
from services.panel.domain.case import PanelCase

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class Defer(Decision):
    reason: str


@handlers(Defer)
def defer(app: PanelApp, c: Defer, work: Work[PanelApp]) -> PanelCase:
    at = in_session(c, work)
    target = next_meeting_of(work, at.meeting.ref, at.meeting.starts_at)
    at.case.defer(at.meeting, c.reason, target)
    return at.case
