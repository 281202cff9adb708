"""Cases a meeting listed and took no decision on, carried to their panel's next meeting
with the reason, once the meeting's day is over (the service runs this hourly, with the
scheduling): an undecided case is never left on a meeting that has passed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from eventsourcing.persistence import IntegrityError

from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import agenda_open_of, find_case
from services.panel.domain.meeting import Meeting
from services.panel.domain.schedule import MEETING_DAY, all_panels, meeting_id, meetings_between

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp

LOOK_BACK = timedelta(weeks=2)  # how far back a missed run still finds a meeting's cases


def carry_undecided(app: PanelApp, now: datetime) -> int:
    """Carry every undecided case of the meetings whose day ended in the last two weeks;
    returns how many were carried. One transaction per case: one a decision or another
    run changes at the same moment is a conflict, tried again at the next run."""
    carried = 0
    for ref in all_panels():
        for starts in meetings_between(ref, now - LOOK_BACK, now - MEETING_DAY):
            work = Work(app)
            ended = work.find(meeting_id(ref, starts))
            if not isinstance(ended, Meeting):
                continue
            for case_id in list(ended.agenda):
                work = Work(app)
                listed = work.find(ended.id)
                case = find_case(work, case_id)
                if not isinstance(listed, Meeting) or case is None:
                    continue
                if not case.undecided_at(listed):
                    continue
                to = agenda_open_of(work, ref, now)
                case.carry_over(listed, to)
                work.add(case, listed, to)
                try:
                    work.commit()
                    carried += 1
                except IntegrityError:
                    pass
    return carried
