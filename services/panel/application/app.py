"""The panel service's application: its store, its commands (`commands.py`), the policies
it follows (`policies.py`), keeping meetings scheduled ahead, and its queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.reference import Role
from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.panel.application.access import SITTING, load, require_reader, scope_of
from services.panel.application.commands import handlers
from services.panel.application.meetings import meeting_at
from services.panel.application.plans import read_plan, view
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.schedule import all_panels, meetings_after


class PanelApp(ServiceApplication):
    name = "panel"

    def __init__(
        self, settings: Settings, quorum_other_agencies: int = 3, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(settings, env)
        self.quorum_other_agencies = quorum_other_agencies

    def handle(self, command: Command) -> Any:
        return handlers.handle(self, command)

    def schedule_ahead(self, now: datetime, weeks: int = 4) -> int:
        """Schedule every panel's meetings for the coming weeks; returns how many were new.

        One transaction per meeting: a meeting the consumer creates at the same moment (to
        list a case on it) is a conflict that already gave the answer wanted."""
        horizon = now + timedelta(weeks=weeks)
        made = 0
        for ref in all_panels():
            after = now
            while (starts := meetings_after(ref, after)) and starts[0] <= horizon:
                after = starts[0]
                work = Work(self)
                meeting = meeting_at(work, ref, starts[0])
                if meeting.pending_events:
                    try:
                        work.commit()
                        made += 1
                    except IntegrityError:
                        pass
        return made

    def meeting(self, meeting_id: UUID, caller: Caller) -> Meeting:
        caller.require(*SITTING, Role.AUDITOR, to="read meetings")  # before saying if it exists
        meeting = Work(self).get_as(meeting_id, Meeting, "meeting")
        require_reader(caller, meeting.ref, "read its meetings")
        return meeting

    def case(self, case_id: UUID, caller: Caller, action: Action = Action.READ_CASE) -> PanelCase:
        """The case, for those the policy lets take `action` on it; the read recorded."""
        return read_case(self, caller, action, case_id, load, scope_of)

    def plan(self, case_id: UUID, caller: Caller) -> dict[str, Any]:
        """The case's plan, for its current lead professional while the case is open, the
        panel that holds it, auditors."""
        self.case(case_id, caller, Action.READ_PLAN)
        return view(read_plan(Work(self), case_id), case_id)

    def history(self, case_id: UUID, caller: Caller) -> list[dict[str, Any]]:
        self.case(case_id, caller)
        events: list[Any] = list(self.events.get(case_id))
        return [
            {
                "event": type(e).__name__,
                "at": e.timestamp.isoformat(),
                **{
                    k: v
                    for k, v in e.__dict__.items()
                    if k
                    not in ("originator_id", "originator_version", "timestamp", "originator_topic")
                },
            }
            for e in events
        ]
