"""What waits for a panel member at their panels' meetings, soonest due first: a meeting
sitting now that is not quorate or has cases still to decide (due when its window closes),
one to come with cases listed (due when it starts: read the papers), and one that ended
with cases undecided (overdue: the hourly run carries them to the next meeting)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.reference import District, Panel
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.panel.application.access import SITTING
from services.panel.application.ports import ReadModel, Seats, Waiting
from services.panel.domain.meeting import Meeting

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp

BEHIND = timedelta(days=7)  # how far back a meeting left undecided still shows
AHEAD = timedelta(days=14)  # how far ahead a meeting's papers are worth reading


@dataclass(frozen=True)
class WorkItem:
    kind: str  # sitting | to-come | left-undecided
    meeting_id: UUID
    panel: Panel
    district: District | None
    starts_at: datetime
    due: datetime
    overdue: bool
    to_decide: int
    reviews: int
    quorate: bool | None = None  # known for a meeting sitting now
    missing_for_quorum: list[str] = field(default_factory=list)


def panel_work(
    app: PanelApp, read_model: ReadModel, caller: Caller, now: datetime
) -> list[WorkItem]:
    caller.require(*SITTING, to="see what waits at their panels' meetings")
    seats = Seats.of(caller)
    window = app.meeting_window
    found: list[WorkItem] = []
    for w in read_model.waiting(seats, now - BEHIND - window, now + AHEAD):
        ends = w.starts_at + window

        if now > ends:
            if w.to_decide:
                found.append(_item(w, "left-undecided", ends))
        elif now >= w.starts_at:
            meeting = Work(app).get_as(w.meeting_id, Meeting, "meeting")
            missing = meeting.missing_for_quorum(app.quorum_other_agencies)
            if w.to_decide or missing:
                found.append(_item(w, "sitting", ends, missing))
        elif w.to_decide:
            found.append(_item(w, "to-come", w.starts_at))
    return sorted(found, key=lambda i: (not i.overdue, i.due))


def _item(w: Waiting, kind: str, due: datetime, missing: list[str] | None = None) -> WorkItem:
    return WorkItem(
        kind=kind,
        meeting_id=w.meeting_id,
        panel=w.panel,
        district=w.district,
        starts_at=w.starts_at,
        due=due,
        overdue=kind == "left-undecided",
        to_decide=w.to_decide,
        reviews=w.reviews,
        quorate=None if missing is None else not missing,
        missing_for_quorum=missing or [],
    )
