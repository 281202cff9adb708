"""What a stored event holds about the child and family is sealed under its case's data key,
as each attribute's class declares: destroying the key erases it from the store, leaving
what was decided readable; an application without a keyring refuses to store it."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, event
from pydantic import BaseModel
from sqlalchemy import create_engine

from contracts.classification import IDENTIFYING, OPERATIONAL, SPECIAL, Parts
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.case_keys import SqlKeyring, keys_table
from maag.runtime.store.sealed import PersonalDataUnsealed

KEKS = (("test-1", os.urandom(32)),)
SECRET = "lives with grandmother at 4 Quiet Lane"


class Form(BaseModel):
    district: Annotated[str, OPERATIONAL]
    reference: Annotated[str, IDENTIFYING]


class Case(Aggregate):
    class Opened(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]
        form: Annotated[dict[str, Any] | None, SPECIAL, Parts(Form)]

    class Noted(Aggregate.Event):
        decision: Annotated[str, OPERATIONAL]
        note: Annotated[str | None, SPECIAL]

        def apply(self, case: Case) -> None:
            case.decisions.append(self.decision)
            case.notes.append(self.note)

    @event(Opened)
    def __init__(self, case_id: UUID, form: dict[str, Any] | None) -> None:
        self.form = form
        self.decisions: list[str] = []
        self.notes: list[str | None] = []

    @staticmethod
    def create_id(case_id: UUID, **_: Any) -> UUID:
        return case_id


class Plan(Aggregate):
    """Part of a case under an id of its own: its first event names the case."""

    class Started(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]

    class Goal(Aggregate.Event):
        text: Annotated[str | None, SPECIAL]

        def apply(self, plan: Plan) -> None:
            plan.goals.append(self.text)

    @event(Started)
    def __init__(self, case_id: UUID) -> None:
        self.goals: list[str | None] = []


class App(ServiceApplication):
    name = "shredding"


@pytest.fixture
def app(tmp_path: Path) -> App:
    made = App(Settings(data_dir=tmp_path))
    made.keep_keys(
        SqlKeyring(create_engine(f"sqlite:///{tmp_path}/keys.db"), KEKS, keys_table("test"))
    )
    return made


def _stored_bytes(app: App, originator: UUID) -> bytes:
    return b"".join(s.state for s in app.recorder.select_events(originator))


def test_withheld_values_are_stored_sealed_and_erased_with_the_key(app: App) -> None:
    case = Case(case_id=uuid4(), form={"district": "harlow", "reference": "CAF-2026-000777"})
    case.trigger_event(Case.Noted, decision="listed", note=SECRET)
    app.save(case)
    raw = _stored_bytes(app, case.id)
    assert b"CAF-2026-000777" not in raw and b"Quiet Lane" not in raw
    assert b"harlow" in raw and b"listed" in raw  # operational: as it was

    read: Case = app.repository.get(case.id)
    assert read.form == {"district": "harlow", "reference": "CAF-2026-000777"}
    assert read.notes == [SECRET]

    assert app.case_keys is not None and app.case_keys.destroy(case.id) == 1
    erased: Case = app.repository.get(case.id)
    assert erased.form == {"district": "harlow", "reference": None}
    assert erased.notes == [None] and erased.decisions == ["listed"]  # what was decided stays


def test_an_aggregate_of_a_case_is_erased_with_the_case(app: App) -> None:
    case_id = uuid4()
    plan = Plan(case_id=case_id)
    app.save(plan)
    plan.trigger_event(Plan.Goal, text=SECRET)
    app.save(plan)
    assert app.repository.get(plan.id).goals == [SECRET]
    assert app.case_keys is not None and app.case_keys.destroy(case_id) == 1
    assert app.repository.get(plan.id).goals == [None]


def test_a_sealed_value_copied_to_another_aggregate_does_not_open_there(app: App) -> None:
    one, other = Case(case_id=uuid4(), form=None), Case(case_id=uuid4(), form=None)
    app.save(one, other)
    make: Any = Case.Noted  # its fields are the library's dataclass's, unseen by mypy
    noted = make(
        originator_id=one.id,
        originator_version=2,
        timestamp=Case.Noted.create_timestamp(),
        decision="listed",
        note=SECRET,
    )
    stored = app.mapper.to_stored_event(noted)
    assert vars(app.mapper.to_domain_event(stored))["note"] == SECRET
    moved = replace(stored, originator_id=other.id)
    assert vars(app.mapper.to_domain_event(moved))["note"] is None  # sealed for its place


def test_without_a_keyring_personal_data_is_refused_not_stored_in_the_clear(
    tmp_path: Path,
) -> None:
    bare = App(Settings(data_dir=tmp_path))
    case = Case(case_id=uuid4(), form=None)
    case.trigger_event(Case.Noted, decision="listed", note=SECRET)
    with pytest.raises(PersonalDataUnsealed, match=r"Case\.Noted holds personal data"):
        bare.save(case)
    fine = Case(case_id=uuid4(), form=None)
    fine.trigger_event(Case.Noted, decision="listed", note=None)  # nothing to seal
    bare.save(fine)
