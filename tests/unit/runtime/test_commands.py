"""The command registry: one handler per command type, a command nobody handles refused,
and the handler's unit of work committed in one transaction (a concurrent change to what
it touched is a Conflict)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts.reference import Role
from maag.runtime.auth import Caller
from maag.runtime.commands import Command, Handlers
from maag.runtime.settings import Settings
from maag.runtime.unit_of_work import Conflict, Work
from tests.support.pipeline import Ledger, LedgerApp

CALLER = Caller.of("u-1", Role.PANEL_MEMBER, "social-care")


@dataclass(frozen=True, kw_only=True)
class Note(Command):
    case_id: uuid.UUID
    text: str


@dataclass(frozen=True, kw_only=True)
class Unhandled(Command):
    pass


def registry() -> Handlers[Any]:
    handlers: Handlers[Any] = Handlers("the ledger changed; retry")

    @handlers(Note)
    def note(app: Any, c: Note, work: Work) -> Ledger:
        ledger = work.find(c.case_id) or Ledger(case_id=c.case_id)
        assert isinstance(ledger, Ledger)
        ledger.note(c.text)
        work.add(ledger)
        return ledger

    return handlers


def test_a_command_runs_its_handler_and_commits(tmp_path: Path) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    case_id = uuid.uuid4()
    registry().handle(app, Note(case_id=case_id, text="a", caller=CALLER, correlation_id="c"))
    assert app.notes(case_id) == ["a"]


def test_one_handler_per_command_and_none_for_an_unknown_one(tmp_path: Path) -> None:
    handlers = registry()
    with pytest.raises(TypeError, match="Note already has a handler"):
        handlers(Note)(lambda app, c, work: None)
    with pytest.raises(TypeError, match="no handler for Unhandled"):
        handlers.handle(
            LedgerApp(Settings(data_dir=tmp_path)), Unhandled(caller=CALLER, correlation_id="c")
        )


def test_a_concurrent_change_is_a_conflict(tmp_path: Path) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    case_id = uuid.uuid4()
    app.save(Ledger(case_id=case_id))
    stale: Any = app.repository.get(case_id)
    registry().handle(app, Note(case_id=case_id, text="first", caller=CALLER, correlation_id="c"))

    handlers: Handlers[Any] = Handlers("the ledger changed; retry")

    @handlers(Note)
    def late(app: Any, c: Note, work: Work) -> None:
        stale.note(c.text)  # decided on what it read before the other change
        work.add(stale)

    with pytest.raises(Conflict, match="the ledger changed; retry"):
        handlers.handle(app, Note(case_id=case_id, text="late", caller=CALLER, correlation_id="c"))
    assert app.notes(case_id) == ["first"]
