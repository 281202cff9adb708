"""Every panel's meetings scheduled for the coming weeks (the service runs this hourly), so
each is on the calendar before anyone lists a case on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from eventsourcing.persistence import IntegrityError

from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import meeting_at
from services.panel.domain.schedule import all_panels, meetings_after

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


def schedule_ahead(app: PanelApp, now: datetime, weeks: int = 4) -> int:
    """Schedule every panel's meetings for the coming weeks; returns how many were new.

    One transaction per meeting: a meeting the consumer creates at the same moment (to
    list a case on it) is a conflict that already gave the answer wanted."""
    horizon = now + timedelta(weeks=weeks)
    made = 0
    for ref in all_panels():
        after = now
        while (starts := meetings_after(ref, after)) and starts[0] <= horizon:
            after = starts[0]
            work = Work(app)
            meeting = meeting_at(work, ref, starts[0])
            if meeting.pending_events:
                try:
                    work.commit()
                    made += 1
                except IntegrityError:
                    pass
    return made
