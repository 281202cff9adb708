"""Agendas: a read model of meetings and the cases listed on each, and who leads each case
(no personal data). `project` keeps it from the panel's own events, each event class's
effect found in a table; `Agendas` answers the queries (`application/ports.py`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    bindparam,
    case,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from contracts.classification import DataClass, column_class
from contracts.reference import District, Panel
from services.panel.application.ports import AgendaItem, LedCase, ScheduledMeeting, Seats, Waiting
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting

metadata = MetaData()

meetings = Table(
    "panel_meetings",
    metadata,
    Column("meeting_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("panel", String(10), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("district", String(50), info=column_class(DataClass.OPERATIONAL)),
    Column(
        "starts_at",
        DateTime(timezone=True),
        nullable=False,
        index=True,
        info=column_class(DataClass.OPERATIONAL),
    ),
)

agenda = Table(
    "panel_agenda",
    metadata,
    Column("meeting_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("case_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("reason", String(2000), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "status", String(20), nullable=False, info=column_class(DataClass.OPERATIONAL)
    ),  # listed | removed | decided
    Column(
        "decisions",
        String(2000),
        nullable=False,
        default="",
        info=column_class(DataClass.OPERATIONAL),
    ),
    Column(
        "listed_at",
        DateTime(timezone=True),
        nullable=False,
        info=column_class(DataClass.OPERATIONAL),
    ),
)

# Each case's lead professional, for their "my cases" (a case has one at a time).
leads = Table(
    "panel_leads",
    metadata,
    Column("case_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "professional_id",
        String(200),
        nullable=False,
        index=True,
        info=column_class(DataClass.THIRD_PARTY),
    ),
    Column("district", String(50), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("panel", String(10), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "since", DateTime(timezone=True), nullable=False, info=column_class(DataClass.OPERATIONAL)
    ),
    Column(
        "status", String(20), nullable=False, info=column_class(DataClass.OPERATIONAL)
    ),  # active | closed
)

# The decisions an agenda item shows, by the event that records each.
DECISIONS = {
    PanelCase.LeadProfessionalAssigned: "lead professional assigned",
    PanelCase.PackageRequested: "package requested",
    PanelCase.Escalated: "escalated",
    PanelCase.SteppedDown: "stepped down",
    PanelCase.Deferred: "deferred",
    PanelCase.Closed: "closed",
    PanelCase.ReviewDecided: "package reviewed",
    PanelCase.ReferredToSocialCare: "referred to children's social care",
}


# Built once, their values bound on each event: building a statement per event (and its
# cache key) was half of the projection's time. The placeholders are named apart from the
# columns, whose names SQLAlchemy keeps for an INSERT's and an UPDATE's own values.
_LEAD_FIND = select(leads.c.case_id).where(leads.c.case_id == bindparam("b_case_id"))
_LEAD_SET = (
    update(leads)
    .where(leads.c.case_id == bindparam("b_case_id"))
    .values(
        professional_id=bindparam("b_professional_id"),
        district=bindparam("b_district"),
        panel=bindparam("b_panel"),
        since=bindparam("b_since"),
        status=bindparam("b_status"),
    )
)
_LEAD_ADD = leads.insert()
_LEAD_CLOSE = update(leads).where(leads.c.case_id == bindparam("b_case_id")).values(status="closed")
_MEETING_ADD = meetings.insert()
_ITEM = (agenda.c.meeting_id == bindparam("b_meeting_id")) & (
    agenda.c.case_id == bindparam("b_case_id")
)
_ITEM_STATUS = select(agenda.c.status).where(_ITEM)
_ITEM_DECISIONS = select(agenda.c.decisions).where(_ITEM)
# listed again, or removed: the item's status and reason
_ITEM_RESTATE = (
    update(agenda).where(_ITEM).values(status=bindparam("b_status"), reason=bindparam("b_reason"))
)
_ITEM_ADD = agenda.insert()
_ITEM_DECIDE = (
    update(agenda).where(_ITEM).values(status="decided", decisions=bindparam("b_decisions"))
)


def _lead_assigned(e: PanelCase.LeadProfessionalAssigned, session: Session) -> None:
    case_id = str(e.originator_id)
    if session.execute(_LEAD_FIND, {"b_case_id": case_id}).first():
        session.execute(
            _LEAD_SET,
            {
                "b_case_id": case_id,
                "b_professional_id": e.professional_id,
                "b_district": e.district,
                "b_panel": e.panel,
                "b_since": e.timestamp,
                "b_status": "active",
            },
        )
    else:
        session.execute(
            _LEAD_ADD,
            {
                "case_id": case_id,
                "professional_id": e.professional_id,
                "district": e.district,
                "panel": e.panel,
                "since": e.timestamp,
                "status": "active",
            },
        )


def _closed(e: PanelCase.Closed, session: Session) -> None:
    session.execute(_LEAD_CLOSE, {"b_case_id": str(e.originator_id)})


def _scheduled(e: Meeting.Scheduled, session: Session) -> None:
    session.execute(
        _MEETING_ADD,
        {
            "meeting_id": str(e.originator_id),
            "panel": e.panel,
            "district": e.district,
            # in UTC: a store without time zones (SQLite, in tests) keeps the instant
            "starts_at": datetime.fromisoformat(e.starts_at).astimezone(UTC),
        },
    )


def _case_listed(e: Meeting.CaseListed, session: Session) -> None:
    key = {"b_meeting_id": str(e.originator_id), "b_case_id": str(e.case_id)}
    if session.execute(_ITEM_STATUS, key).first():
        session.execute(_ITEM_RESTATE, {**key, "b_status": "listed", "b_reason": e.reason})
    else:
        session.execute(
            _ITEM_ADD,
            {
                "meeting_id": str(e.originator_id),
                "case_id": str(e.case_id),
                "reason": e.reason,
                "status": "listed",
                "decisions": "",
                "listed_at": e.timestamp,
            },
        )


def _case_removed(e: Meeting.CaseRemoved, session: Session) -> None:
    session.execute(
        _ITEM_RESTATE,
        {
            "b_meeting_id": str(e.originator_id),
            "b_case_id": str(e.case_id),
            "b_status": "removed",
            "b_reason": e.reason,
        },
    )


Decided = (
    PanelCase.LeadProfessionalAssigned
    | PanelCase.PackageRequested
    | PanelCase.Escalated
    | PanelCase.SteppedDown
    | PanelCase.Deferred
    | PanelCase.Closed
    | PanelCase.ReviewDecided
    | PanelCase.ReferredToSocialCare
)


def _decided(e: Decided, session: Session) -> None:
    """The decision shows on the agenda item of the meeting that took it."""
    key = {"b_meeting_id": str(e.meeting_id), "b_case_id": str(e.originator_id)}
    row = session.execute(_ITEM_DECISIONS, key).first()
    if row is not None:
        done = ", ".join(x for x in (row[0], DECISIONS[type(e)]) if x)
        session.execute(_ITEM_DECIDE, {**key, "b_decisions": done})


Effect = Callable[[Any, Session], None]  # each effect takes the event class it is listed for
# What each event class changes, in order.
EFFECTS: dict[type[Aggregate.Event], tuple[Effect, ...]] = {
    Meeting.Scheduled: (_scheduled,),
    Meeting.CaseListed: (_case_listed,),
    Meeting.CaseRemoved: (_case_removed,),
    **{kind: (_decided,) for kind in DECISIONS},
    PanelCase.LeadProfessionalAssigned: (_lead_assigned, _decided),
    PanelCase.Closed: (_closed, _decided),
}


def project(e: Aggregate.Event, session: Session) -> None:
    for effect in EFFECTS.get(type(e), ()):
        effect(e, session)


class Agendas:
    """The read model's answers to the panel's queries (`application.ports.ReadModel`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def agenda_of(self, meeting_id: UUID) -> list[AgendaItem]:
        with Session(self.engine) as session:
            rows = session.execute(
                select(agenda)
                .where(agenda.c.meeting_id == str(meeting_id))
                .order_by(agenda.c.listed_at)
            ).mappings()
            return [
                AgendaItem(
                    case_id=UUID(r["case_id"]),
                    reason=r["reason"],
                    status=r["status"],
                    decisions=r["decisions"],
                    listed_at=r["listed_at"],
                )
                for r in rows
            ]

    def led_by(self, professional_id: str) -> list[LedCase]:
        """The cases a professional leads, open ones first, newest first."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(leads)
                .where(leads.c.professional_id == professional_id)
                .order_by(leads.c.status, leads.c.since.desc())
            ).mappings()
            return [
                LedCase(
                    case_id=UUID(r["case_id"]),
                    professional_id=r["professional_id"],
                    district=District(r["district"]),
                    panel=Panel(r["panel"]),
                    since=r["since"],
                    status=r["status"],
                )
                for r in rows
            ]

    def started_between(self, since: datetime, until: datetime) -> list[UUID]:
        """The meetings starting in [since, until]: those called off the programme too."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(meetings.c.meeting_id).where(
                    (meetings.c.starts_at >= since) & (meetings.c.starts_at <= until)
                )
            )
            return [UUID(r[0]) for r in rows]

    def waiting(self, seats: Seats | None, since: datetime, until: datetime) -> list[Waiting]:
        """The meetings starting in [since, until] (of `seats`' panels; every panel's with
        None), each with how many cases it has still to decide, and how many are reviews."""
        still = agenda.c.status == "listed"
        counted = (
            select(
                agenda.c.meeting_id,
                func.count().label("to_decide"),
                func.sum(case((agenda.c.reason == "review", 1), else_=0)).label("reviews"),
            )
            .where(still)
            .group_by(agenda.c.meeting_id)
            .subquery()
        )
        query = (
            select(
                meetings,
                func.coalesce(counted.c.to_decide, 0).label("to_decide"),
                func.coalesce(counted.c.reviews, 0).label("reviews"),
            )
            .outerjoin(counted, counted.c.meeting_id == meetings.c.meeting_id)
            .where((meetings.c.starts_at >= since) & (meetings.c.starts_at <= until))
        )
        if seats is not None:
            query = query.where(_seated(seats))
        with Session(self.engine) as session:
            rows = session.execute(query.order_by(meetings.c.starts_at)).mappings()
            return [
                Waiting(
                    meeting_id=UUID(r["meeting_id"]),
                    panel=Panel(r["panel"]),
                    district=District(r["district"]) if r["district"] else None,
                    starts_at=_aware(r["starts_at"]),
                    to_decide=int(r["to_decide"]),
                    reviews=int(r["reviews"] or 0),
                )
                for r in rows
            ]

    def upcoming(
        self,
        panel: Panel | None,
        district: District | None,
        after: datetime,
        seats: Seats | None = None,
        limit: int = 200,
    ) -> list[ScheduledMeeting]:
        """Meetings starting after `after`, soonest first, each with the cases on its agenda;
        with `seats`, only the panels those tiers and districts hold (chosen before the limit:
        one district's meetings are not crowded out by every other panel's)."""
        listed = (
            select(agenda.c.meeting_id, func.count().label("cases"))
            .where(agenda.c.status != "removed")
            .group_by(agenda.c.meeting_id)
            .subquery()
        )
        with Session(self.engine) as session:
            query = (
                select(meetings, func.coalesce(listed.c.cases, 0).label("cases"))
                .outerjoin(listed, listed.c.meeting_id == meetings.c.meeting_id)
                .where(meetings.c.starts_at > after)
            )
            if panel:
                query = query.where(meetings.c.panel == panel.value)
            if district:
                query = query.where(meetings.c.district == district.value)
            if seats is not None:
                query = query.where(_seated(seats))
            rows = session.execute(query.order_by(meetings.c.starts_at).limit(limit)).mappings()
            return [
                ScheduledMeeting(
                    meeting_id=UUID(r["meeting_id"]),
                    panel=Panel(r["panel"]),
                    district=District(r["district"]) if r["district"] else None,
                    starts_at=_aware(r["starts_at"]),
                    cases=int(r["cases"]),
                )
                for r in rows
            ]


def _seated(seats: Seats) -> ColumnElement[bool]:
    """The meetings of the panels `seats` hold: their tiers, and for a MAAG their districts."""
    return meetings.c.panel.in_(seats.tiers) & (
        meetings.c.district.is_(None) | meetings.c.district.in_(seats.districts)
    )


def _aware(at: datetime) -> datetime:
    """A stored instant as UTC (SQLite, in tests, gives back no time zone)."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
