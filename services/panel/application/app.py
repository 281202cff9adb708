"""The panel service's use cases. Inbound events (referral accepted, consent withdrawn,
package commissioned) and coordinators' commands share the same functions, each over a
unit of work that commits in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.reference import Agency, Panel, Role
from maag.runtime.application import ServiceApplication
from maag.runtime.auth import Caller
from maag.runtime.settings import Settings
from maag.runtime.unit_of_work import NotFound, Work, in_unit
from services.panel.application.decisions import (
    AssignLeadProfessional,
    Close,
    Decision,
    Defer,
    Escalate,
    RequestPackage,
    StepDown,
)
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.rules import PanelRuleBroken
from services.panel.domain.schedule import (
    PanelRef,
    all_panels,
    first_meeting_on_or_after,
    meeting_id,
    meetings_after,
    next_meeting,
)

SYSTEM = {"user_id": "panel-service", "role": "system", "agency": "maag"}
R = TypeVar("R")


def meeting_at(
    work: Work, ref: PanelRef, starts_at: datetime, actor: dict[str, str] = SYSTEM
) -> Meeting:
    """The meeting of `ref` at `starts_at`, scheduling it if nobody has yet."""
    found = work.find(meeting_id(ref, starts_at))
    if isinstance(found, Meeting):
        return found
    meeting = Meeting.schedule(ref, starts_at, actor)
    work.add(meeting)
    return meeting


# --- inbound events ---


def referral_accepted(
    work: Work,
    case_id: UUID,
    district: str,
    level_of_need: int,
    agencies: list[str],
    at: datetime,
    correlation_id: str,
) -> None:
    """List the case on its district MAAG's next meeting (once, however often it arrives)."""
    found = work.find(case_id)
    case = found if isinstance(found, PanelCase) else None
    if case is None:
        case = PanelCase(
            case_id=case_id,
            district=district,
            level_of_need=level_of_need,
            agencies_requested=agencies,
            correlation_id=correlation_id,
        )
        work.add(case)
    elif case.status == "paused":
        case.resume(correlation_id)  # consent given again
    elif case.status == "closed" or case.listings:
        return  # already on an agenda (or finished): a duplicate changes nothing
    work.add(case)
    case.list_on(
        meeting_at(work, case.ref, next_meeting(case.ref, at)), "new referral", correlation_id
    )


def consent_withdrawn(work: Work, case_id: UUID, continues: bool, correlation_id: str) -> None:
    found = work.find(case_id)
    if not isinstance(found, PanelCase) or continues:
        return
    meetings = [m for mid in found.listings if isinstance(m := work.find(mid), Meeting)]
    found.pause("consent withdrawn", meetings, correlation_id)
    work.add(found, *meetings)


def package_commissioned(
    work: Work, case_id: UUID, package_id: UUID, panel: Panel, review_on: date, correlation_id: str
) -> None:
    """List the package's review on the commissioning panel's meeting when it falls due."""
    found = work.find(case_id)
    if not isinstance(found, PanelCase):
        return
    ref = found.ref_for(panel)
    meeting = meeting_at(work, ref, first_meeting_on_or_after(ref, review_on))
    found.list_review(package_id, review_on, meeting, correlation_id)
    work.add(found, meeting)


# --- commands ---


class PanelApp(ServiceApplication):
    name = "panel"

    def __init__(
        self, settings: Settings, quorum_other_agencies: int = 3, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(settings, env)
        self.quorum_other_agencies = quorum_other_agencies

    def _in_unit(self, use: Callable[[Work], R]) -> R:
        return in_unit(
            self, use, "the meeting or case changed while this request was handled; retry"
        )

    def schedule(self, ref: PanelRef, starts_at: datetime, caller: Caller) -> Meeting:
        caller.require(Role.PANEL_MEMBER, to="schedule meetings")
        if starts_at.tzinfo is None:
            raise PanelRuleBroken("starts_at needs a UTC offset")
        meeting: Meeting = self._in_unit(lambda w: meeting_at(w, ref, starts_at, caller.record))
        return meeting

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

    def record_attendance(
        self, meeting_id: UUID, caller: Caller, person_id: str, name: str, agency: Agency
    ) -> Meeting:
        caller.require(Role.PANEL_MEMBER, to="record attendance")

        def use(work: Work) -> Meeting:
            meeting = work.get_as(meeting_id, Meeting, "meeting")
            meeting.record_attendance(person_id, name, agency.value, caller.record)
            return meeting

        result: Meeting = self._in_unit(use)
        return result

    def decide(
        self, meeting_id: UUID, decision: Decision, caller: Caller, correlation_id: str
    ) -> PanelCase:
        caller.require(Role.PANEL_MEMBER, to="record panel decisions")
        actor = caller.record

        def use(work: Work) -> PanelCase:
            meeting = work.get_as(meeting_id, Meeting, "meeting")
            meeting.require_quorum(self.quorum_other_agencies)
            case = work.get_as(decision.case_id, PanelCase, "case")
            work.add(case)
            j = decision.justification
            if isinstance(decision, AssignLeadProfessional):
                case.assign_lead_professional(
                    meeting,
                    decision.professional_id,
                    decision.name,
                    decision.agency.value,
                    str(decision.work_email),
                    j,
                    actor,
                    correlation_id,
                )
            elif isinstance(decision, RequestPackage):
                interventions = [i.model_dump(mode="json") for i in decision.interventions]
                case.request_package(meeting, interventions, j, actor, correlation_id)
            elif isinstance(decision, Escalate | StepDown):
                target_ref = case.ref_for(Panel(decision.to))
                target = meeting_at(work, target_ref, next_meeting(target_ref, meeting.starts_at))
                move = case.escalate if isinstance(decision, Escalate) else case.step_down
                move(meeting, Panel(decision.to), decision.reason, j, target, actor, correlation_id)
            elif isinstance(decision, Defer):
                target = meeting_at(work, meeting.ref, next_meeting(meeting.ref, meeting.starts_at))
                case.defer(meeting, decision.reason, target, actor, correlation_id)
            elif isinstance(decision, Close):
                case.close(meeting, decision.reason, actor, correlation_id)
            return case

        result: PanelCase = self._in_unit(use)
        return result

    def meeting(self, meeting_id: UUID, caller: Caller) -> Meeting:
        caller.require(Role.PANEL_MEMBER, Role.AUDITOR, to="read meetings")
        return Work(self).get_as(meeting_id, Meeting, "meeting")

    def case(self, case_id: UUID, caller: Caller) -> PanelCase:
        caller.require(Role.PANEL_MEMBER, Role.AUDITOR, to="read cases")
        return Work(self).get_as(case_id, PanelCase, "case")

    def history(self, case_id: UUID, caller: Caller) -> list[dict[str, Any]]:
        caller.require(Role.PANEL_MEMBER, Role.AUDITOR, to="read a case's panel history")
        events: list[Any] = list(self.events.get(case_id))
        if not events or not isinstance(events[0], PanelCase.Opened):
            raise NotFound(f"no case {case_id}")
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
