"""Finding a panel's meeting, scheduling it the first time anyone needs it."""

from __future__ import annotations

from datetime import datetime

from maag.runtime.store.unit_of_work import Work
from services.panel.domain.meeting import Meeting
from services.panel.domain.schedule import PanelRef, meeting_id


def meeting_at(work: Work, ref: PanelRef, starts_at: datetime) -> Meeting:
    """The meeting of `ref` at `starts_at`, scheduling it if nobody has yet."""
    found = work.find(meeting_id(ref, starts_at))
    if isinstance(found, Meeting):
        return found
    meeting = Meeting.schedule(ref, starts_at)
    work.add(meeting)
    return meeting
