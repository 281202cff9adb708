"""Cases a meeting listed and took no decision on, carried to their panel's next meeting
with the reason, once the meeting's window has closed (the service runs this hourly, with
the scheduling): an undecided case is never left on a meeting that has passed, nor a
package review the meeting did not take."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from eventsourcing.persistence import IntegrityError

from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import agenda_open_of, find_case, review_meeting_of
from services.panel.application.ports import ReadModel
from services.panel.domain.meeting import Meeting
from services.panel.domain.schedule import (
    all_panels,
    meeting_id,
    meetings_between,
)

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp

LOOK_BACK = timedelta(weeks=2)  # how far back a missed run still finds a meeting's cases


def carry_undecided(app: PanelApp, now: datetime, agendas: ReadModel) -> int:
    """Carry every undecided case of the meetings whose window closed in the last two weeks:
    those on the panels' programme, and those the agenda read model knows of (meetings
    called off the programme among them). Returns how many were carried. One transaction
    per case: one a decision or another run changes at the same moment is a conflict, tried
    again at the next run."""
    closed = now - app.meeting_window
    programme = [
        meeting_id(ref, starts)
        for ref in all_panels()
        for starts in meetings_between(ref, now - LOOK_BACK, closed)
    ]
    called = agendas.started_between(now - LOOK_BACK, closed)
    carried = 0
    for ended_id in dict.fromkeys([*programme, *called]):
        ended = Work(app).find(ended_id)
        if not isinstance(ended, Meeting) or ended.ends_at(app.meeting_window) >= now:
            continue
        for case_id in list(ended.agenda):
            work = Work(app)
            listed = work.find(ended.id)
            case = find_case(work, case_id)
            if not isinstance(listed, Meeting) or case is None:
                continue
            undecided, left = case.undecided_at(listed), case.reviews_left_at(listed)
            if not undecided and not left:
                continue
            if undecided:
                to = agenda_open_of(work, listed.ref, now)
                case.carry_over(listed, to)
                work.add(case, listed, to)
            # a review it did not take goes to the first meeting on or after it falls due
            # whose agenda is open
            ref = case.ref
            for package_id, review_on in left:
                review_at = review_meeting_of(work, ref, review_on, now)
                case.relist_review(package_id, review_at)
                work.add(case, review_at)
            try:
                work.commit()
                carried += 1
            except IntegrityError:
                pass
    return carried
