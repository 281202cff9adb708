"""The agenda read model's rows after its events, every statement `project` runs (built once,
their values bound per event): each must touch only the row its event names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from sqlalchemy.engine import Engine

from services.panel.adapters.read_model import agenda, leads, meetings, metadata, project
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from tests.support.read_models import projected, recorded, rows, sqlite_with

E = TypeVar("E")
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine() -> Iterator[Engine]:
    with sqlite_with(metadata) as made:
        yield made


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _naive(at: datetime) -> datetime:
    """An instant as SQLite gives it back (in UTC, without a time zone)."""
    return at.astimezone(UTC).replace(tzinfo=None)


def _run(engine: Engine, *events: Any) -> None:
    projected(engine, project, *events)


def _rows(engine: Engine, table: Any) -> set[tuple[Any, ...]]:
    return rows(engine, table)


_event = recorded


def _scheduled(meeting: UUID, district: str | None, starts_at: str) -> Meeting.Scheduled:
    return _event(
        Meeting.Scheduled,
        meeting,
        1,
        T0,
        originator_topic="services.panel.domain.meeting:Meeting",
        panel="maag",
        district=district,
        starts_at=starts_at,
    )


def _listed(meeting: UUID, case: UUID, reason: str, at: int) -> Meeting.CaseListed:
    return _event(Meeting.CaseListed, meeting, 2, _at(at), case_id=case, reason=reason)


def _removed(meeting: UUID, case: UUID, reason: str, at: int) -> Meeting.CaseRemoved:
    return _event(Meeting.CaseRemoved, meeting, 3, _at(at), case_id=case, reason=reason)


def _deferred(case: UUID, meeting: UUID, at: int) -> PanelCase.Deferred:
    return _event(
        PanelCase.Deferred,
        case,
        2,
        _at(at),
        district="north",
        panel="maag",
        meeting_id=meeting,
        reason="more information",
    )


def _assigned(case: UUID, meeting: UUID, who: str, at: int) -> PanelCase.LeadProfessionalAssigned:
    return _event(
        PanelCase.LeadProfessionalAssigned,
        case,
        3,
        _at(at),
        district="north",
        panel="maag",
        meeting_id=meeting,
        professional_id=who,
        professional_name="A Lead",
        agency="school",
        work_email="lead@example.org",
        justification=None,
    )


def _closed(case: UUID, meeting: UUID, at: int) -> PanelCase.Closed:
    return _event(
        PanelCase.Closed,
        case,
        4,
        _at(at),
        district="north",
        panel="maag",
        meeting_id=meeting,
        reason="needs met",
        outcomes=[],
    )


def test_meetings_are_kept_with_their_start_in_utc(engine: Engine) -> None:
    m1, m2 = uuid4(), uuid4()
    _run(
        engine,
        _scheduled(m1, "north", "2026-03-09T10:00:00+01:00"),
        _scheduled(m2, None, "2026-03-10T14:00:00+00:00"),
    )
    assert _rows(engine, meetings) == {
        (str(m1), "maag", "north", datetime(2026, 3, 9, 9, 0)),
        (str(m2), "maag", None, datetime(2026, 3, 10, 14, 0)),
    }


def test_an_agenda_item_is_listed_removed_listed_again_and_decided(engine: Engine) -> None:
    meeting, other_meeting, case, other_case = uuid4(), uuid4(), uuid4(), uuid4()
    _run(
        engine,
        _listed(meeting, case, "new", 1),
        _listed(meeting, other_case, "review", 2),
        _listed(other_meeting, case, "new", 3),
        _removed(meeting, case, "withdrawn", 4),
    )
    _run(engine, _listed(meeting, case, "review", 5))  # listed again: the same row
    _run(
        engine,
        _deferred(case, meeting, 6),
        _assigned(case, meeting, "lead-1", 7),
        _deferred(uuid4(), meeting, 8),  # a case not on the agenda: no item
    )
    assert _rows(engine, agenda) == {
        (
            str(meeting),
            str(case),
            "review",
            "decided",
            "deferred, lead professional assigned",
            _naive(_at(1)),
        ),
        (str(meeting), str(other_case), "review", "listed", "", _naive(_at(2))),
        (str(other_meeting), str(case), "new", "listed", "", _naive(_at(3))),
    }


def test_a_lead_is_assigned_reassigned_and_closed(engine: Engine) -> None:
    meeting, case, other_case = uuid4(), uuid4(), uuid4()
    _run(engine, _assigned(case, meeting, "lead-1", 1), _assigned(other_case, meeting, "lead-2", 2))
    _run(engine, _closed(case, meeting, 3))
    assert _rows(engine, leads) == {
        (str(case), "lead-1", "north", "maag", _naive(_at(1)), "closed"),
        (str(other_case), "lead-2", "north", "maag", _naive(_at(2)), "active"),
    }
    _run(engine, _assigned(case, meeting, "lead-3", 4))  # the same row, active again
    assert _rows(engine, leads) == {
        (str(case), "lead-3", "north", "maag", _naive(_at(4)), "active"),
        (str(other_case), "lead-2", "north", "maag", _naive(_at(2)), "active"),
    }
