"""The referral list read model: one row per case, no personal data (the child and their
household by pseudonymous ids only; its lead professional by their user id), the case's
notes by id, and the cases referred to children's social care's front door; projected from
the events by a table, event class -> what it does to the rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Update,
    bindparam,
    delete,
    event,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.orm import Session

from contracts.classification import DataClass, column_class
from contracts.limits import ID_CHARS, TEXT_CHARS
from contracts.reference import SocialCareAnswer
from maag.runtime.follow.projection import forgotten
from services.referral.application.ports import Ending, FrontDoorCase, ListedCase
from services.referral.domain.notes import CaseNote
from services.referral.domain.referral import Referral
from services.referral.domain.values import Ended, Status

metadata = MetaData()

# v2 added the child and household: a new name, so an existing store's projection is
# rebuilt from its events rather than left without them. v3: what an erasure forgets
# (the CAF reference, the child and household) may be empty. v4: since when each case
# stands as its status says, and how it ended after triage (the referrer's work tray). v5:
# the case's current lead professional (the cases a lead finds on their work tray).
PROJECTION = "referral_cases_v5"
cases = Table(
    PROJECTION,
    metadata,
    Column("case_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("child_id", String(36), index=True, info=column_class(DataClass.IDENTIFYING)),
    Column("household_id", String(36), index=True, info=column_class(DataClass.IDENTIFYING)),
    Column(
        "agency", String(100), nullable=False, index=True, info=column_class(DataClass.OPERATIONAL)
    ),
    Column("district", String(50), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("caf_reference", String(40), info=column_class(DataClass.IDENTIFYING)),
    Column("level_of_need", Integer, nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("status", String(40), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("reason", String(1000), info=column_class(DataClass.OPERATIONAL)),
    Column(
        "received_at",
        DateTime(timezone=True),
        nullable=False,
        info=column_class(DataClass.OPERATIONAL),
    ),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        info=column_class(DataClass.OPERATIONAL),
    ),
    Column(
        "status_since",
        DateTime(timezone=True),
        nullable=False,
        index=True,
        info=column_class(DataClass.OPERATIONAL),
    ),
    # closed-at-panel, taken-on-by-social-care: the case ended after triage
    Column("ended", String(40), info=column_class(DataClass.OPERATIONAL)),
    Column("ended_on", Date, index=True, info=column_class(DataClass.OPERATIONAL)),
    # the panel's reason (social care's own words about the child are not copied here)
    Column("ended_reason", String(TEXT_CHARS), info=column_class(DataClass.OPERATIONAL)),
    # the current lead professional's user id, as the panel named them (None: no lead now)
    Column("lead_id", String(ID_CHARS), index=True, info=column_class(DataClass.THIRD_PARTY)),
)


notes = Table(
    "referral_notes",
    metadata,
    Column("note_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "case_id", String(36), nullable=False, index=True, info=column_class(DataClass.OPERATIONAL)
    ),
    Column(
        "written_at",
        DateTime(timezone=True),
        nullable=False,
        info=column_class(DataClass.OPERATIONAL),
    ),
)


# The cases referred to children's social care's front door (its work list).
front_door = Table(
    "referral_front_door",
    metadata,
    Column("case_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("district", String(50), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("agency", String(100), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("route", String(40), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("reason", String(TEXT_CHARS), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "sent_at",
        DateTime(timezone=True),
        nullable=False,
        index=True,
        info=column_class(DataClass.OPERATIONAL),
    ),
    Column("answer", String(40), info=column_class(DataClass.OPERATIONAL)),
    Column("answered_at", DateTime(timezone=True), info=column_class(DataClass.OPERATIONAL)),
)


# Built once, their values bound on each event: building a statement per event (and its
# cache key) was half of the projection's time. The placeholders are named apart from the
# columns, whose names SQLAlchemy keeps for an INSERT's and an UPDATE's own values.
_CASE = cases.c.case_id == bindparam("b_case_id")
_FRONT_DOOR_CLEAR = delete(front_door).where(front_door.c.case_id == bindparam("b_case_id"))
_FRONT_DOOR_ADD = front_door.insert()
_FRONT_DOOR_ANSWER = (
    update(front_door)
    .where(front_door.c.case_id == bindparam("b_case_id"))
    .values(answer=bindparam("b_answer"), answered_at=bindparam("b_answered_at"))
)
_NOTE_CLEAR = delete(notes).where(notes.c.note_id == bindparam("b_note_id"))
_NOTE_ADD = notes.insert()
_CASE_ADD = cases.insert()
_CASE_STATUS = select(cases.c.status).where(_CASE)
_CASE_LEAD = update(cases).where(_CASE).values(lead_id=bindparam("b_lead_id"))
# what an erasure empties is fixed by the columns' classes: the same statement each time
_CASE_FORGET = update(cases).where(_CASE).values(**forgotten(cases))


def _setting(*columns: str) -> Update:
    """A case's row updated: `columns` and `updated_at`, each bound as `b_<column>`."""
    return (
        update(cases)
        .where(_CASE)
        .values({c: bindparam(f"b_{c}") for c in ("updated_at", *columns)})
    )


# One statement for each set of columns an event changes.
_SET_ENDED = _setting("ended", "ended_on", "ended_reason")
_SET_CHILD = _setting("child_id")
_SET_HOUSEHOLD = _setting("household_id")
_SET_STATUS = _setting("status", "reason", "status_since")


def _sent_to_front_door(e: Referral.SentToFrontDoor, session: Session) -> None:
    # sent again after a step-down: the row starts over
    session.execute(_FRONT_DOOR_CLEAR, {"b_case_id": str(e.originator_id)})
    session.execute(
        _FRONT_DOOR_ADD,
        {
            "case_id": str(e.originator_id),
            "district": e.district,
            "agency": e.referring_agency,
            "route": e.route,
            "reason": e.reason,
            "sent_at": e.timestamp,
        },
    )


def _front_door_answered(e: Referral.FrontDoorAnswered, session: Session) -> None:
    session.execute(
        _FRONT_DOOR_ANSWER,
        {"b_case_id": str(e.originator_id), "b_answer": e.answer, "b_answered_at": e.timestamp},
    )
    if e.answer == SocialCareAnswer.ACCEPTED:
        _set(
            session,
            _SET_ENDED,
            e,
            ended=Ended.TAKEN_ON_BY_SOCIAL_CARE,
            ended_on=e.timestamp.date(),
            ended_reason=None,
        )


def _closed_at_panel(e: Referral.ClosedAtPanel, session: Session) -> None:
    _set(
        session,
        _SET_ENDED,
        e,
        ended=Ended.CLOSED_AT_PANEL,
        ended_on=date.fromisoformat(e.closed_on),
        ended_reason=e.reason,
    )


def _note_written(e: CaseNote.Written, session: Session) -> None:
    # a projection rebuilt over the same tables (a new PROJECTION) meets its notes again
    session.execute(_NOTE_CLEAR, {"b_note_id": str(e.originator_id)})
    session.execute(
        _NOTE_ADD,
        {"note_id": str(e.originator_id), "case_id": str(e.case_id), "written_at": e.timestamp},
    )


# A case received in the batch being projected: its row, inserted (with those of the others
# received in it, in one statement) when anything else is projected, and at the commit. Its
# triage, in the same batch (a referral is triaged as it is received), is its row's own
# values: one statement, where an insert and then an update were two for every referral.
_RECEIVED = "referral_cases_received"


def _received_rows(session: Session) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] | None = session.info.get(_RECEIVED)
    if found is None:
        session.connection()  # in its transaction (begun now if not yet): rolled back with it
        found = session.info[_RECEIVED] = {}
        event.listen(session, "before_commit", _insert_received)
        event.listen(session, "after_soft_rollback", _forget_received)
    return found


def _forget_received(session: Session, _: Any) -> None:
    session.info.get(_RECEIVED, {}).clear()  # rolled back: as if never projected


def _insert_received(session: Session) -> None:
    """The rows of the cases received and not yet inserted, inserted now."""
    found: dict[str, dict[str, Any]] | None = session.info.get(_RECEIVED)
    if found:
        session.execute(_CASE_ADD, list(found.values()))
        found.clear()


def _received(e: Referral.Received, session: Session) -> None:
    d = e.details
    _received_rows(session)[str(e.originator_id)] = {
        "case_id": str(e.originator_id),
        "child_id": e.child_id,
        "agency": d["referring_agency"],
        "district": d["district"],
        "caf_reference": d["caf_reference"],
        "level_of_need": d["level_of_need"],
        "status": Status.RECEIVED.value,
        "received_at": e.timestamp,
        "updated_at": e.timestamp,
        "status_since": e.timestamp,
    }


def _match_resolved(e: Referral.ChildMatchResolved, session: Session) -> None:
    if e.confirmed:
        _set(session, _SET_CHILD, e, child_id=e.child_id)


def _household_linked(e: Referral.HouseholdLinked, session: Session) -> None:
    _set(session, _SET_HOUSEHOLD, e, household_id=e.household_id)


def _triaged(e: Referral.Triaged, session: Session) -> None:
    row = session.info.get(_RECEIVED, {}).get(str(e.originator_id))
    if row is not None:  # received in this batch: its row is not inserted yet
        row.update(status=e.outcome, reason=e.reason, status_since=e.timestamp)
        row["updated_at"] = e.timestamp
        return
    _set(session, _SET_STATUS, e, status=e.outcome, reason=e.reason, status_since=e.timestamp)


def _consent_withdrawn(e: Referral.ConsentWithdrawn, session: Session) -> None:
    if e.basis_remains:
        return
    current = session.execute(_CASE_STATUS, {"b_case_id": str(e.originator_id)}).scalar()
    if current == Status.ACCEPTED:
        _set(
            session,
            _SET_STATUS,
            e,
            status=Status.PAUSED.value,
            reason="consent withdrawn",
            status_since=e.timestamp,
        )


def _lead_noted(e: Referral.LeadProfessionalNoted, session: Session) -> None:
    # who leads the case is not a change of its state as the list shows it: `updated_at` stays
    _lead(session, e, e.professional_id)


def _lead_ended(e: Referral.LeadProfessionalEnded, session: Session) -> None:
    _lead(session, e, None)


def _lead(session: Session, e: Any, lead_id: str | None) -> None:
    session.execute(_CASE_LEAD, {"b_case_id": str(e.originator_id), "b_lead_id": lead_id})


def _erased(e: Referral.PersonalDataErased, session: Session) -> None:
    # the CAF reference and the links to the child and household go; the outcome stays
    session.execute(_CASE_FORGET, {"b_case_id": str(e.originator_id)})


# What each event does to the rows; the others do nothing to them.
PROJECTORS: dict[type, Callable[[Any, Session], None]] = {
    CaseNote.Written: _note_written,
    Referral.Received: _received,
    Referral.ChildMatchResolved: _match_resolved,
    Referral.HouseholdLinked: _household_linked,
    Referral.Triaged: _triaged,
    Referral.ConsentWithdrawn: _consent_withdrawn,
    Referral.PersonalDataErased: _erased,
    Referral.ClosedAtPanel: _closed_at_panel,
    Referral.SentToFrontDoor: _sent_to_front_door,
    Referral.FrontDoorAnswered: _front_door_answered,
    Referral.LeadProfessionalNoted: _lead_noted,
    Referral.LeadProfessionalEnded: _lead_ended,
}


def project(e: Any, session: Session) -> None:
    found = PROJECTORS.get(type(e))
    if found is None:
        return
    if found is not _received and found is not _triaged:
        _insert_received(session)  # what any other statement reads or changes is there
    found(e, session)


def _set(session: Session, statement: Update, e: Any, **values: object) -> None:
    """Runs one of the `_SET_*` statements: `values` must be the columns it was built for."""
    session.execute(
        statement,
        {
            "b_case_id": str(e.originator_id),
            "b_updated_at": e.timestamp,
            **{f"b_{c}": v for c, v in values.items()},
        },
    )


def _listed(row: RowMapping) -> ListedCase:
    return ListedCase(
        case_id=UUID(row["case_id"]),
        child_id=UUID(row["child_id"]) if row["child_id"] else None,
        household_id=UUID(row["household_id"]) if row["household_id"] else None,
        agency=row["agency"],
        district=row["district"],
        caf_reference=row["caf_reference"],
        level_of_need=row["level_of_need"],
        status=row["status"],
        reason=row["reason"],
        received_at=row["received_at"],
        updated_at=row["updated_at"],
        status_since=row["status_since"],
        ending=(
            Ending(row["ended"], row["ended_on"], row["ended_reason"]) if row["ended"] else None
        ),
    )


class SqlCaseList:
    """The read model as the application reads it (`services.referral.application.ports`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def of_agency(
        self,
        agency: str,
        limit: int = 200,
        statuses: Sequence[str] = (),
        since: date | None = None,
    ) -> Sequence[ListedCase]:
        query = select(cases).where(cases.c.agency == agency)
        if statuses:
            query = query.where(cases.c.status.in_(list(statuses)))
        if since is not None:
            start = datetime.combine(since, time.min, UTC)
            query = query.where(or_(cases.c.status_since >= start, cases.c.ended_on >= since))
        return self._listed(query.order_by(cases.c.received_at.desc()).limit(limit))

    def case_ids(self) -> Sequence[UUID]:
        with Session(self.engine) as session:
            found = session.execute(select(cases.c.case_id).order_by(cases.c.received_at)).scalars()
            return [UUID(c) for c in found]

    def received_between(self, first: date, last: date) -> Sequence[ListedCase]:
        start = datetime.combine(first, time.min, UTC)
        end = datetime.combine(last + timedelta(days=1), time.min, UTC)
        return self._listed(
            select(cases)
            .where(cases.c.received_at >= start, cases.c.received_at < end)
            .order_by(cases.c.received_at)
        )

    def led_by(self, professional_id: str) -> Sequence[UUID]:
        with Session(self.engine) as session:
            found = session.execute(
                select(cases.c.case_id)
                .where(cases.c.lead_id == professional_id)
                .order_by(cases.c.received_at)
            ).scalars()
            return [UUID(c) for c in found]

    def of_children(self, child_ids: Sequence[UUID]) -> Sequence[ListedCase]:
        return self._listed(
            select(cases)
            .where(cases.c.child_id.in_([str(c) for c in child_ids]))
            .order_by(cases.c.received_at)
        )

    def of_household(self, household_id: UUID) -> Sequence[ListedCase]:
        return self._listed(
            select(cases)
            .where(cases.c.household_id == str(household_id))
            .order_by(cases.c.received_at)
        )

    def notes_of(self, case_id: UUID) -> Sequence[UUID]:
        with Session(self.engine) as session:
            found = session.execute(
                select(notes.c.note_id)
                .where(notes.c.case_id == str(case_id))
                .order_by(notes.c.written_at)
            ).scalars()
            return [UUID(n) for n in found]

    def at_front_door(self, waiting: bool, limit: int = 200) -> Sequence[FrontDoorCase]:
        query = select(front_door).order_by(front_door.c.sent_at.desc()).limit(limit)
        if waiting:
            query = query.where(front_door.c.answer.is_(None))
        with Session(self.engine) as session:
            return [
                FrontDoorCase(
                    case_id=UUID(row["case_id"]),
                    district=row["district"],
                    referring_agency=row["agency"],
                    route=row["route"],
                    reason=row["reason"],
                    sent_at=row["sent_at"],
                    answer=row["answer"],
                    answered_at=row["answered_at"],
                )
                for row in session.execute(query).mappings()
            ]

    def _listed(self, query: Select[Any]) -> list[ListedCase]:
        with Session(self.engine) as session:
            return [_listed(row) for row in session.execute(query).mappings()]
