"""The referral list read model's rows after its events, every statement `project` runs (built
once, their values bound per event): each sets only its own columns, of the row its event
names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.referral.adapters.read_model import cases, front_door, metadata, notes, project
from services.referral.domain.notes import CaseNote
from services.referral.domain.referral import Referral
from services.referral.domain.values import Status
from tests.support.read_models import projected, recorded, rows, sqlite_with, statements_sent

E = TypeVar("E")
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine() -> Iterator[Engine]:
    with sqlite_with(metadata) as made:
        yield made


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _naive(minutes: int) -> datetime:
    """An instant as SQLite gives it back (in UTC, without a time zone)."""
    return _at(minutes).replace(tzinfo=None)


def _run(engine: Engine, *events: Any) -> None:
    projected(engine, project, *events)


def _case(engine: Engine, case: UUID) -> dict[str, Any]:
    with Session(engine) as session:
        return dict(
            session.execute(select(cases).where(cases.c.case_id == str(case))).mappings().one()
        )


def _rows(engine: Engine, table: Any) -> set[tuple[Any, ...]]:
    return rows(engine, table)


_event = recorded


def _received(case: UUID, caf: str, at: int) -> Referral.Received:
    return _event(
        Referral.Received,
        case,
        1,
        _at(at),
        originator_topic="services.referral.domain.referral:Referral",
        case_id=case,
        details={
            "referring_agency": "school",
            "district": "north",
            "caf_reference": caf,
            "level_of_need": 3,
        },
        fingerprint=None,
        channel="http",
        sealed_child=None,
        child_id="child-0",
    )


def _triaged(case: UUID, outcome: str, at: int) -> Referral.Triaged:
    return _event(
        Referral.Triaged,
        case,
        2,
        _at(at),
        outcome=outcome,
        reason="meets threshold",
        signposting=None,
        district="north",
        level_of_need=3,
        agencies_requested=[],
        joins_case_id=None,
        from_social_care=False,
    )


def _withdrawn(case: UUID, at: int, basis_remains: bool) -> Referral.ConsentWithdrawn:
    return _event(
        Referral.ConsentWithdrawn,
        case,
        2,
        _at(at),
        withdrawn_on="2026-03-02",
        reason=None,
        basis_remains=basis_remains,
    )


def _sent(case: UUID, at: int, reason: str) -> Referral.SentToFrontDoor:
    return _event(
        Referral.SentToFrontDoor,
        case,
        2,
        _at(at),
        route="significant-harm",
        reason=reason,
        district="north",
        referring_agency="school",
    )


def _answered(case: UUID, at: int, answer: str) -> Referral.FrontDoorAnswered:
    return _event(
        Referral.FrontDoorAnswered,
        case,
        2,
        _at(at),
        answer=answer,
        district="north",
        route="significant-harm",
        reason=None,
        reference=None,
    )


def test_a_case_row_follows_its_events_and_no_other_row_moves(engine: Engine) -> None:
    case, other = uuid4(), uuid4()
    _run(engine, _received(case, "CAF-1", 0), _received(other, "CAF-2", 1))
    untouched = _case(engine, other)
    _run(
        engine,
        _event(
            Referral.ChildMatchResolved,
            case,
            2,
            _at(2),
            child_id="child-1",
            confirmed=True,
            previous_child_id=None,
            joins_case_id=None,
            reason=None,
        ),
        _event(  # not confirmed: nothing changes
            Referral.ChildMatchResolved,
            case,
            2,
            _at(3),
            child_id="child-2",
            confirmed=False,
            previous_child_id=None,
            joins_case_id=None,
            reason=None,
        ),
        _event(
            Referral.HouseholdLinked,
            case,
            2,
            _at(4),
            household_id="household-1",
            child_id="child-1",
            sibling_case_id=str(other),
            sibling_child_id="child-0",
        ),
    )
    row = _case(engine, case)
    assert (row["child_id"], row["household_id"], row["updated_at"]) == (
        "child-1",
        "household-1",
        _naive(4),
    )
    assert (row["status"], row["status_since"]) == ("received", _naive(0))

    _run(engine, _triaged(case, "accepted", 5), _withdrawn(case, 6, basis_remains=True))
    row = _case(engine, case)
    assert (row["status"], row["reason"], row["status_since"], row["updated_at"]) == (
        "accepted",
        "meets threshold",
        _naive(5),
        _naive(5),
    )
    _run(engine, _withdrawn(case, 7, basis_remains=False))
    row = _case(engine, case)
    assert (row["status"], row["reason"], row["status_since"], row["updated_at"]) == (
        "paused-consent-withdrawn",
        "consent withdrawn",
        _naive(7),
        _naive(7),
    )
    _run(engine, _withdrawn(case, 8, basis_remains=False))  # not accepted now: stays paused
    assert _case(engine, case)["status_since"] == _naive(7)

    # who leads the case: `updated_at` stays
    _run(
        engine,
        _event(Referral.LeadProfessionalNoted, case, 2, _at(9), professional_id="p-1", agency="x"),
    )
    assert (_case(engine, case)["lead_id"], _case(engine, case)["updated_at"]) == ("p-1", _naive(7))
    _run(engine, _event(Referral.LeadProfessionalEnded, case, 2, _at(10), reason="moved"))
    assert _case(engine, case)["lead_id"] is None

    _run(
        engine,
        _event(
            Referral.ClosedAtPanel, case, 2, _at(11), reason="needs met", closed_on="2026-03-01"
        ),
    )
    row = _case(engine, case)
    assert (row["ended"], row["ended_on"], row["ended_reason"], row["updated_at"]) == (
        "closed-at-panel",
        date(2026, 3, 1),
        "needs met",
        _naive(11),
    )

    _run(
        engine,
        _event(Referral.PersonalDataErased, case, 2, _at(12), reason="retention", erased_on="x"),
    )
    row = _case(engine, case)
    assert (row["caf_reference"], row["child_id"], row["household_id"]) == (None, None, None)
    assert (row["status"], row["ended"], row["agency"], row["updated_at"]) == (
        "paused-consent-withdrawn",
        "closed-at-panel",
        "school",
        _naive(11),
    )
    assert _case(engine, other) == untouched
    assert untouched["caf_reference"] == "CAF-2"


def test_the_front_door_row_starts_over_when_sent_again(engine: Engine) -> None:
    case, other = uuid4(), uuid4()
    _run(engine, _received(case, "CAF-1", 0), _received(other, "CAF-2", 0))
    _run(engine, _sent(case, 1, "first"), _sent(other, 2, "theirs"))
    _run(engine, _answered(case, 3, "stepped-down"))
    assert _case(engine, case)["ended"] is None  # stepped down: the case goes on
    assert _rows(engine, front_door) == {
        (
            str(case),
            "north",
            "school",
            "significant-harm",
            "first",
            _naive(1),
            "stepped-down",
            _naive(3),
        ),
        (str(other), "north", "school", "significant-harm", "theirs", _naive(2), None, None),
    }
    _run(engine, _sent(case, 4, "again"), _answered(case, 5, "accepted"))
    assert _rows(engine, front_door) == {
        (
            str(case),
            "north",
            "school",
            "significant-harm",
            "again",
            _naive(4),
            "accepted",
            _naive(5),
        ),
        (str(other), "north", "school", "significant-harm", "theirs", _naive(2), None, None),
    }
    row = _case(engine, case)
    assert (row["ended"], row["ended_on"], row["ended_reason"], row["updated_at"]) == (
        "taken-on-by-social-care",
        date(2026, 3, 2),
        None,
        _naive(5),
    )
    assert _case(engine, other)["ended"] is None


def test_a_note_met_again_is_kept_once(engine: Engine) -> None:
    case, note, other_note = uuid4(), uuid4(), uuid4()

    def written(note_id: UUID, at: int) -> CaseNote.Written:
        return _event(
            CaseNote.Written,
            note_id,
            1,
            _at(at),
            originator_topic="services.referral.domain.notes:CaseNote",
            case_id=case,
            sealed_text=None,
            about_date="2026-03-01",
            supersedes=None,
        )

    _run(engine, written(note, 1), written(other_note, 2))
    _run(engine, written(note, 3))  # a projection rebuilt over the same tables
    assert _rows(engine, notes) == {
        (str(note), str(case), _naive(3)),
        (str(other_note), str(case), _naive(2)),
    }


def test_cases_received_and_triaged_together_are_inserted_as_triaged_in_one_statement(
    engine: Engine,
) -> None:
    """A batch of referrals, each received and triaged: their rows in one insert, as an
    insert and an update each would leave them; what another event reads is there first."""
    first, second, third = uuid4(), uuid4(), uuid4()
    withdrawn = _withdrawn(third, 9, basis_remains=False)
    with statements_sent(engine) as sent:
        _run(
            engine,
            _received(first, "CAF-1", 0),
            _triaged(first, "accepted", 1),
            _received(second, "CAF-2", 2),
            _triaged(second, "declined", 3),
            _received(third, "CAF-3", 4),
            _triaged(third, "accepted", 5),
            withdrawn,  # reads the third's status: its row is inserted before
        )
    assert [statement.split()[0] for statement in sent] == ["INSERT", "SELECT", "UPDATE"]
    assert (_case(engine, first)["status"], _case(engine, first)["status_since"]) == (
        "accepted",
        _naive(1),
    )
    assert _case(engine, first)["updated_at"] == _naive(1)
    assert _case(engine, first)["received_at"] == _naive(0)
    assert _case(engine, second)["status"] == "declined"
    assert _case(engine, third)["status"] == Status.PAUSED  # withdrawn once accepted


def test_a_batch_rolled_back_leaves_no_row_for_the_next(engine: Engine) -> None:
    case = uuid4()
    with Session(engine) as session:
        project(_received(case, "CAF-1", 0), session)
        session.rollback()
        session.commit()
    assert _rows(engine, cases) == set()
