"""The referral list read model: one row per case, no personal data (the child and their
household by pseudonymous ids only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.referral.domain.notes import CaseNote
from services.referral.domain.referral import Referral

metadata = MetaData()

# v2 added the child and household: a new name, so an existing store's projection is
# rebuilt from its events rather than left without them.
PROJECTION = "referral_cases_v2"
cases = Table(
    PROJECTION,
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("child_id", String(36), index=True),
    Column("household_id", String(36), index=True),
    Column("agency", String(100), nullable=False, index=True),
    Column("district", String(50), nullable=False),
    Column("caf_reference", String(40), nullable=False),
    Column("level_of_need", Integer, nullable=False),
    Column("status", String(40), nullable=False),
    Column("reason", String(1000)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


notes = Table(
    "referral_notes",
    metadata,
    Column("note_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("written_at", DateTime(timezone=True), nullable=False),
)


def project(e: Any, session: Session) -> None:
    if isinstance(e, CaseNote.Written):
        session.execute(
            notes.insert().values(
                note_id=str(e.originator_id), case_id=str(e.case_id), written_at=e.timestamp
            )
        )
    elif isinstance(e, Referral.Received):
        session.execute(
            cases.insert().values(
                case_id=str(e.originator_id),
                child_id=e.child_id,
                agency=e.details["referring_agency"],
                district=e.details["district"],
                caf_reference=e.details["caf_reference"],
                level_of_need=e.details["level_of_need"],
                status="received",
                received_at=e.timestamp,
                updated_at=e.timestamp,
            )
        )
    elif isinstance(e, Referral.ChildMatchResolved) and e.confirmed:
        _set(session, e, child_id=e.child_id)
    elif isinstance(e, Referral.HouseholdLinked):
        _set(session, e, household_id=e.household_id)
    elif isinstance(e, Referral.Triaged):
        _set(session, e, status=e.outcome, reason=e.reason)
    elif isinstance(e, Referral.ConsentWithdrawn) and not e.basis_remains:
        current = session.execute(
            select(cases.c.status).where(cases.c.case_id == str(e.originator_id))
        ).scalar()
        if current == "accepted":
            _set(session, e, status="paused-consent-withdrawn", reason="consent withdrawn")


def _set(session: Session, e: Any, **values: Any) -> None:
    session.execute(
        update(cases)
        .where(cases.c.case_id == str(e.originator_id))
        .values(updated_at=e.timestamp, **values)
    )


def list_for_agency(engine: Engine, agency: str, limit: int = 200) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.execute(
            select(cases)
            .where(cases.c.agency == agency)
            .order_by(cases.c.received_at.desc())
            .limit(limit)
        ).mappings()
        return [dict(r) for r in rows]


def case_ids(engine: Engine) -> list[UUID]:
    """Every case the service has received, oldest first."""
    with Session(engine) as session:
        found = session.execute(select(cases.c.case_id).order_by(cases.c.received_at)).scalars()
        return [UUID(c) for c in found]


def of_children(engine: Engine, child_ids: list[str]) -> list[dict[str, Any]]:
    """The referrals of these children, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(cases).where(cases.c.child_id.in_(child_ids)).order_by(cases.c.received_at)
        ).mappings()
        return [dict(r) for r in rows]


def of_household(engine: Engine, household_id: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.execute(
            select(cases).where(cases.c.household_id == household_id).order_by(cases.c.received_at)
        ).mappings()
        return [dict(r) for r in rows]


def notes_of(engine: Engine, case_id: UUID) -> list[UUID]:
    """The case's notes (every version), oldest first."""
    with Session(engine) as session:
        found = session.execute(
            select(notes.c.note_id)
            .where(notes.c.case_id == str(case_id))
            .order_by(notes.c.written_at)
        ).scalars()
        return [UUID(n) for n in found]
