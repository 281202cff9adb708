"""A panel meeting: when it is, who attended or sent apologies (and so whether it is quorate),
what is listed, its agenda as circulated to the panel's members before the cut-off, and its
general minutes (each item's minutes are `ItemMinutes`, its declarations of interest are the
case's)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, THIRD_PARTY
from contracts.reference import District, Panel, Position
from services.panel.domain.constitution import CONSTITUTIONS, Constitution
from services.panel.domain.rules import NotAMember, PanelRuleBroken
from services.panel.domain.schedule import AGENDA_CUT_OFF, LOCAL, PanelRef, meeting_id
from services.panel.domain.values import Apology, Attendee, Circulation, ExpectedAttendee, Minutes


class Meeting(Aggregate):
    class Scheduled(Aggregate.Created):
        panel: Annotated[str, OPERATIONAL]
        district: Annotated[str | None, OPERATIONAL]
        starts_at: Annotated[str, OPERATIONAL]

    class AttendanceRecorded(Aggregate.Event):
        person_id: Annotated[str, THIRD_PARTY]
        name: Annotated[str, THIRD_PARTY]
        agency: Annotated[str, OPERATIONAL]
        position: Annotated[str, OPERATIONAL] = (
            Position.PRACTITIONER.value
        )  # absent from attendance before 2026-11

        def apply(self, meeting: Meeting) -> None:
            meeting.attendance[self.person_id] = Attendee(
                self.name, self.agency, Position(self.position)
            )

    class AttendeeExpected(Aggregate.Event):
        """The coordinator expects this person: a plan, never counted toward quorum."""

        person_id: Annotated[str, THIRD_PARTY]
        name: Annotated[str, THIRD_PARTY]
        agency: Annotated[str, OPERATIONAL]

        def apply(self, meeting: Meeting) -> None:
            meeting.expected[self.person_id] = ExpectedAttendee(self.name, self.agency)

    class ApologiesSent(Aggregate.Event):
        """A member will not attend: their own word, before the meeting or while it sits."""

        person_id: Annotated[str, THIRD_PARTY]
        name: Annotated[str, THIRD_PARTY]
        agency: Annotated[str, OPERATIONAL]

        def apply(self, meeting: Meeting) -> None:
            meeting.apologies[self.person_id] = Apology(self.name, self.agency)

    class MinutesRecorded(Aggregate.Event):
        """The meeting's general minutes (what is not about one case), as the chair last
        recorded them: they may name the professionals present, never a child (a case's
        discussion is minuted on its agenda item, `ItemMinutes`)."""

        discussion: Annotated[str, THIRD_PARTY]
        actions: Annotated[str, THIRD_PARTY]

        def apply(self, meeting: Meeting) -> None:
            meeting.minutes = Minutes(self.discussion, self.actions, self.timestamp)

    class AgendaCirculated(Aggregate.Event):
        """The agenda sent to the panel's members before its cut-off: how many cases it
        listed then (never which: a case's timeline follows its meetings, and must not name
        the others) and which circulation it is. It repeats the meeting's panel and start,
        so that what is published of it needs nothing else."""

        panel: Annotated[str, OPERATIONAL]
        district: Annotated[str | None, OPERATIONAL]
        starts_at: Annotated[str, OPERATIONAL]
        cases: Annotated[int, OPERATIONAL]
        number: Annotated[int, OPERATIONAL]

        def apply(self, meeting: Meeting) -> None:
            meeting.circulated = Circulation(self.number, self.cases, self.timestamp)

    class CaseListed(Aggregate.Event):
        case_id: Annotated[UUID, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]

        def apply(self, meeting: Meeting) -> None:
            meeting.agenda[self.case_id] = self.reason
            meeting.agenda_changed()

    class CaseRemoved(Aggregate.Event):
        case_id: Annotated[UUID, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]

        def apply(self, meeting: Meeting) -> None:
            meeting.agenda.pop(self.case_id, None)
            meeting.agenda_changed()

    @event(Scheduled)
    def __init__(self, panel: str, district: str | None, starts_at: str) -> None:
        self.panel = Panel(panel)
        self.district = District(district) if district else None
        self.starts_at = datetime.fromisoformat(starts_at)
        self.attendance: dict[str, Attendee] = {}  # person id -> who
        self.expected: dict[str, ExpectedAttendee] = {}
        self.agenda: dict[UUID, str] = {}  # case id -> why it is listed
        self.apologies: dict[str, Apology] = {}  # person id -> who sent them
        self.minutes: Minutes | None = None  # the general minutes, as last recorded
        self.circulated: Circulation | None = None  # the agenda as last circulated

    @staticmethod
    def create_id(panel: str, district: str | None, starts_at: str, **_: object) -> UUID:
        ref = PanelRef(Panel(panel), District(district) if district else None)
        return meeting_id(ref, datetime.fromisoformat(starts_at))

    @classmethod
    def schedule(cls, ref: PanelRef, starts_at: datetime) -> Meeting:
        return cls(
            panel=ref.panel.value,
            district=ref.district.value if ref.district else None,
            starts_at=starts_at.isoformat(),
        )

    @property
    def ref(self) -> PanelRef:
        return PanelRef(self.panel, self.district)

    def expect(self, person_id: str, name: str, agency: str) -> None:
        if self.expected.get(person_id) == ExpectedAttendee(name, agency):
            return
        self.trigger_event(self.AttendeeExpected, person_id=person_id, name=name, agency=agency)

    @property
    def constitution(self) -> Constitution:
        return CONSTITUTIONS[self.panel]

    def record_attendance(
        self, person_id: str, name: str, agency: str, position: Position = Position.PRACTITIONER
    ) -> None:
        """The attendee's own confirmation; only members of the panel's constitution sit."""
        if not self.constitution.may_sit(agency, position):
            raise NotAMember(
                f"a {position.value} of {agency} does not sit on the {self.panel.value.upper()} "
                f"(its members: {self.constitution.describe_members()})"
            )
        seen = self.attendance.get(person_id)
        if seen is not None and (seen.agency, seen.position) == (agency, position):
            return
        self.trigger_event(
            self.AttendanceRecorded,
            person_id=person_id,
            name=name,
            agency=agency,
            position=position.value,
        )

    def send_apologies(
        self,
        person_id: str,
        name: str,
        agency: str,
        position: Position,
        now: datetime,
        window: timedelta,
    ) -> None:
        """A member's own apologies, before the meeting or while it sits (once: sent again,
        nothing more is recorded). Someone who confirmed their attendance has come."""
        if not self.constitution.may_sit(agency, position):
            raise NotAMember(
                f"a {position.value} of {agency} does not sit on the {self.panel.value.upper()} "
                f"(its members: {self.constitution.describe_members()})"
            )
        self.require_not_ended(now, window, "apologies are sent before it ends")
        if person_id in self.attendance:
            raise PanelRuleBroken(
                "meeting_id: you confirmed your attendance at this meeting: apologies are sent "
                "by those who will not attend"
            )
        if person_id in self.apologies:
            return
        self.trigger_event(self.ApologiesSent, person_id=person_id, name=name, agency=agency)

    @property
    def absent(self) -> dict[str, ExpectedAttendee]:
        """Those the coordinator expected who neither confirmed their attendance nor sent
        apologies."""
        return {
            p: e
            for p, e in self.expected.items()
            if p not in self.attendance and p not in self.apologies
        }

    def record_minutes(self, discussion: str, actions: str) -> None:
        """The general minutes, replacing those recorded before (each version is kept in the
        meeting's history); the same again records nothing."""
        if self.minutes is not None and (self.minutes.discussion, self.minutes.actions) == (
            discussion,
            actions,
        ):
            return
        self.trigger_event(self.MinutesRecorded, discussion=discussion, actions=actions)

    @property
    def agenda_closes_at(self) -> datetime:
        """The agenda's cut-off (`AGENDA_CUT_OFF` before the start): a case accepted later
        goes to the panel's next meeting, and the agenda is circulated before it."""
        return self.starts_at - AGENDA_CUT_OFF

    def circulate_agenda(self, now: datetime) -> None:
        """Circulate the agenda to the panel's members, before its cut-off: the first time
        once a case is listed, again only when a case was listed or taken off since (the
        members are then sent the revised agenda)."""
        closes = self.agenda_closes_at
        if now >= closes:
            raise PanelRuleBroken(
                f"meeting_id: the agenda closed at {_local(closes)}, a day before the meeting: "
                "it is circulated before then"
            )
        last = self.circulated
        if last is None and not self.agenda:
            raise PanelRuleBroken(
                "meeting_id: no case is listed on this meeting yet: there is no agenda to circulate"
            )
        if last is not None and not last.changed:
            raise PanelRuleBroken(
                f"meeting_id: the agenda was circulated at {_local(last.at)} and no case has "
                "been listed or taken off since: there is nothing new to send"
            )
        self.trigger_event(
            self.AgendaCirculated,
            panel=self.panel.value,
            district=self.district.value if self.district else None,
            starts_at=self.starts_at.isoformat(),
            cases=len(self.agenda),
            number=last.number + 1 if last else 1,
        )

    def agenda_changed(self) -> None:
        """A case listed or taken off: the agenda as circulated is out of date."""
        if self.circulated is not None and not self.circulated.changed:
            self.circulated = replace(self.circulated, changed=True)

    def ends_at(self, window: timedelta) -> datetime:
        """When its window closes: attendance and decisions are recorded from its start until
        then (`MAAG_MEETING_WINDOW_HOURS`), and what it left undecided is carried on."""
        return self.starts_at + window

    def in_session(self, now: datetime, window: timedelta) -> bool:
        return self.starts_at <= now <= self.ends_at(window)

    def require_in_session(self, now: datetime, window: timedelta, to: str) -> None:
        """Only while the meeting sits may anyone `to` at it (the record is of that meeting)."""
        if now < self.starts_at:
            raise PanelRuleBroken(
                f"meeting_id: the meeting starts at {_local(self.starts_at)}: "
                f"{to} only from its start"
            )
        if now > self.ends_at(window):
            raise PanelRuleBroken(
                f"meeting_id: the meeting's window closed at {_local(self.ends_at(window))}: "
                f"{to} only until then (list the case on a meeting that sits)"
            )

    def require_not_ended(
        self, now: datetime, window: timedelta, what: str = "no case can be listed on it now"
    ) -> None:
        if now > self.ends_at(window):
            raise PanelRuleBroken(
                f"meeting_id: the meeting's window closed at {_local(self.ends_at(window))}: {what}"
            )

    def missing_for_quorum(
        self, other_agencies_required: int, withdrawn: Collection[str] = ()
    ) -> list[str]:
        """What quorum lacks; for one case, leaving out those who withdrew from deciding it
        (`withdrawn`: they declared an interest in it)."""
        present = [(a.agency, a.position) for p, a in self.attendance.items() if p not in withdrawn]
        return self.constitution.missing(present, other_agencies_required)

    def require_quorum(self, other_agencies_required: int, withdrawn: Collection[str] = ()) -> None:
        missing = self.missing_for_quorum(other_agencies_required)
        if missing:
            raise PanelRuleBroken(
                f"the meeting is not quorate, so it cannot decide: missing {' and '.join(missing)}"
            )
        without = self.missing_for_quorum(other_agencies_required, withdrawn)
        if without:
            raise PanelRuleBroken(
                "the meeting is not quorate for this case without those who withdrew from its "
                "decision (having declared an interest), so it cannot decide on it: missing "
                f"{' and '.join(without)}"
            )

    def require_listed(self, case_id: UUID) -> None:
        if case_id not in self.agenda:
            raise PanelRuleBroken(f"case {case_id} is not on this meeting's agenda")

    def list_case(self, case_id: UUID, reason: str) -> bool:
        """List the case; False if it already is (a redelivery or a second reason)."""
        if case_id in self.agenda:
            return False
        self.trigger_event(self.CaseListed, case_id=case_id, reason=reason)
        return True

    def remove_case(self, case_id: UUID, reason: str) -> None:
        if case_id in self.agenda:
            self.trigger_event(self.CaseRemoved, case_id=case_id, reason=reason)


def _local(at: datetime) -> str:
    return at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
