"""The panel refers the case to children's social care's front door (the MASH): it leaves
every agenda and is decided no further until the front door answers
(`policies/on_social_care_answered.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.decisions import Decision, in_session
from services.panel.application.lookup import meetings_listing
from services.panel.domain.case import PanelCase

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class ReferToSocialCare(Decision):
    reason: str


@handlers(ReferToSocialCare)
def refer_to_social_care(app: PanelApp, c: ReferToSocialCare, work: Work[PanelApp]) -> PanelCase:
    at = in_session(c, work)
    meetings = meetings_listing(work, at.case)  # reviews' meetings too
    at.case.refer_to_social_care(at.meeting, c.reason, meetings)
    work.add(*meetings)
    return at.case
