"""Agendas: a read model of meetings and the cases listed on each, and who leads each case
(no personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting

metadata = MetaData()

meetings = Table(
    "panel_meetings",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("panel", String(10), nullable=False),
    Column("district", String(50)),
    Column("starts_at", DateTime(timezone=True), nullable=False, index=True),
)

agenda = Table(
    "panel_agenda",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("case_id", String(36), primary_key=True),
    Column("reason", String(2000), nullable=False),
    Column("status", String(20), nullable=False),  # listed | removed | decided
    Column("decisions", String(2000), nullable=False, default=""),
    Column("listed_at", DateTime(timezone=True), nullable=False),
)

# Each case's lead professional, for their "my cases" (a case has one at a time).
leads = Table(
    "panel_leads",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("professional_id", String(200), nullable=False, index=True),
    Column("district", String(50), nullable=False),
    Column("panel", String(10), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),  # active | closed
)

DECISIONS = {
    PanelCase.LeadProfessionalAssigned: "lead professional assigned",
    PanelCase.PackageRequested: "package requested",
    PanelCase.Escalated: "escalated",
    PanelCase.SteppedDown: "stepped down",
    PanelCase.Deferred: "deferred",
    PanelCase.Closed: "closed",
    PanelCase.ReviewDecided: "package reviewed",
}


def project(e: Any, session: Session) -> None:
    if isinstance(e, PanelCase.LeadProfessionalAssigned):
        key = leads.c.case_id == str(e.originator_id)
        values = {
            "professional_id": e.professional_id,
            "district": e.district,
            "panel": e.panel,
            "since": e.timestamp,
            "status": "active",
        }
        if session.execute(select(leads.c.case_id).where(key)).first():
            session.execute(update(leads).where(key).values(**values))
        else:
            session.execute(leads.insert().values(case_id=str(e.originator_id), **values))
    elif isinstance(e, PanelCase.Closed):
        session.execute(
            update(leads).where(leads.c.case_id == str(e.originator_id)).values(status="closed")
        )
    if isinstance(e, Meeting.Scheduled):
        session.execute(
            meetings.insert().values(
                meeting_id=str(e.originator_id),
                panel=e.panel,
                district=e.district,
                starts_at=datetime.fromisoformat(e.starts_at),
            )
        )
    elif isinstance(e, Meeting.CaseListed):
        key = (agenda.c.meeting_id == str(e.originator_id)) & (agenda.c.case_id == str(e.case_id))
        if session.execute(select(agenda.c.status).where(key)).first():
            session.execute(update(agenda).where(key).values(status="listed", reason=e.reason))
        else:
            session.execute(
                agenda.insert().values(
                    meeting_id=str(e.originator_id),
                    case_id=str(e.case_id),
                    reason=e.reason,
                    status="listed",
                    decisions="",
                    listed_at=e.timestamp,
                )
            )
    elif isinstance(e, Meeting.CaseRemoved):
        session.execute(
            update(agenda)
            .where(
                (agenda.c.meeting_id == str(e.originator_id)) & (agenda.c.case_id == str(e.case_id))
            )
            .values(status="removed", reason=e.reason)
        )
    elif type(e) in DECISIONS:
        key = (agenda.c.meeting_id == str(e.meeting_id)) & (
            agenda.c.case_id == str(e.originator_id)
        )
        row = session.execute(select(agenda.c.decisions).where(key)).first()
        if row is not None:
            done = ", ".join(x for x in (row[0], DECISIONS[type(e)]) if x)
            session.execute(update(agenda).where(key).values(status="decided", decisions=done))


def agenda_of(engine: Engine, meeting_id: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.execute(
            select(agenda).where(agenda.c.meeting_id == meeting_id).order_by(agenda.c.listed_at)
        ).mappings()
        return [dict(r) for r in rows]


def led_by(engine: Engine, professional_id: str) -> list[dict[str, Any]]:
    """The cases a professional leads, open ones first, newest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(leads)
            .where(leads.c.professional_id == professional_id)
            .order_by(leads.c.status, leads.c.since.desc())
        ).mappings()
        return [dict(r) for r in rows]


def upcoming(
    engine: Engine, panel: str | None, district: str | None, after: Any, limit: int = 50
) -> list[dict[str, Any]]:
    with Session(engine) as session:
        query = select(meetings).where(meetings.c.starts_at > after)
        if panel:
            query = query.where(meetings.c.panel == panel)
        if district:
            query = query.where(meetings.c.district == district)
        rows = session.execute(query.order_by(meetings.c.starts_at).limit(limit)).mappings()
        return [dict(r) for r in rows]
