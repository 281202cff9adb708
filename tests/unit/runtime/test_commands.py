"""The command registry: one handler per command type, a command nobody handles refused,
and the handler's unit of work committed in one transaction (one that lost a race to a
concurrent change runs again on what is there now, and is a Conflict after the last attempt)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eventsourcing.persistence import IntegrityError

from contracts.reference import Role
from maag.runtime.commands import CONFLICT_ATTEMPTS, Command, Handlers
from maag.runtime.settings import Settings
from maag.runtime.store import idempotency
from maag.runtime.store.unit_of_work import Conflict, Work
from maag.runtime.web.auth import Caller
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


def test_a_unit_that_lost_a_race_runs_again_on_what_is_there_now(tmp_path: Path) -> None:
    """Another request's change lands between this one's read and its commit: nothing of the
    first attempt is stored, the second runs on the changed ledger, and the effect left for
    after the commit runs once."""
    app = LedgerApp(Settings(data_dir=tmp_path))
    case_id = uuid.uuid4()
    app.save(Ledger(case_id=case_id))
    handlers: Handlers[Any] = Handlers("the ledger changed; retry")
    attempts: list[list[str]] = []
    effects: list[str] = []

    @handlers(Note)
    def racing(app: Any, c: Note, work: Work) -> Ledger:
        ledger = work.get_as(c.case_id, Ledger, "ledger")
        attempts.append(list(ledger.notes))
        if len(attempts) == 1:  # the other request commits after this one read
            registry().handle(
                app, Note(case_id=case_id, text="other", caller=CALLER, correlation_id="o")
            )
        ledger.note(c.text)
        work.add(ledger)
        work.after_commit(lambda: effects.append(c.text))
        return ledger

    handlers.handle(app, Note(case_id=case_id, text="mine", caller=CALLER, correlation_id="c"))
    assert attempts == [[], ["other"]]
    assert app.notes(case_id) == ["other", "mine"]
    assert effects == ["mine"]


def test_a_unit_that_loses_every_race_is_a_conflict_after_the_last_attempt(
    tmp_path: Path,
) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    case_id = uuid.uuid4()
    app.save(Ledger(case_id=case_id))
    handlers: Handlers[Any] = Handlers("the ledger changed; retry")
    attempts = 0

    @handlers(Note)
    def always_late(app: Any, c: Note, work: Work) -> Ledger:
        nonlocal attempts
        attempts += 1
        ledger = work.get_as(c.case_id, Ledger, "ledger")
        registry().handle(
            app, Note(case_id=case_id, text=f"other {attempts}", caller=CALLER, correlation_id="o")
        )
        ledger.note(c.text)
        work.add(ledger)
        return ledger

    with pytest.raises(Conflict, match="the ledger changed; retry"):
        handlers.handle(app, Note(case_id=case_id, text="mine", caller=CALLER, correlation_id="c"))
    assert attempts == CONFLICT_ATTEMPTS
    assert app.notes(case_id) == [f"other {i}" for i in range(1, CONFLICT_ATTEMPTS + 1)]


def _note(text: str, key: str | None, caller: Caller = CALLER, case_id: Any = None) -> Note:
    return Note(
        case_id=case_id or uuid.UUID(int=1),
        text=text,
        caller=caller,
        correlation_id="c",
        idempotency_key=key,
    )


def test_a_keyed_command_sent_again_records_nothing_more_and_answers_what_it_made(
    tmp_path: Path,
) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    handlers = registry()
    first = handlers.handle(app, _note("a", "key-00000001"))
    again = handlers.handle(app, _note("a", "key-00000001"))
    assert again.id == first.id and app.notes(first.id) == ["a"]
    handlers.handle(app, _note("a", "key-00000002"))  # another key is another request
    handlers.handle(app, _note("a", None))  # and no key, always
    assert app.notes(first.id) == ["a", "a", "a"]


def test_another_person_s_same_key_is_their_own_request(tmp_path: Path) -> None:
    app = LedgerApp(Settings(data_dir=tmp_path))
    other = Caller.of("u-2", Role.PANEL_MEMBER, "education")
    handlers = registry()
    ledger = handlers.handle(app, _note("mine", "key-00000001"))
    handlers.handle(app, _note("theirs", "key-00000001", caller=other))
    assert app.notes(ledger.id) == ["mine", "theirs"]


def test_the_same_key_at_the_same_moment_is_recorded_once(tmp_path: Path) -> None:
    """Both read "not done"; the store takes one Done and refuses the other, whose retry
    finds it done."""
    app = LedgerApp(Settings(data_dir=tmp_path))
    app.save(Ledger(case_id=uuid.UUID(int=1)))
    handlers = registry()
    slow = Work(app)
    handlers.handle(app, _note("a", "key-00000001"), slow)  # read before the other commits
    handlers.handle(app, _note("a", "key-00000001"))
    with pytest.raises(IntegrityError):
        slow.commit()
    handlers.handle(app, _note("a", "key-00000001"))  # the retry
    assert app.notes(uuid.UUID(int=1)) == ["a"]


def test_a_keyed_command_must_answer_what_it_acted_on(tmp_path: Path) -> None:
    handlers: Handlers[Any] = Handlers("retry")

    @handlers(Note)
    def nothing(app: Any, c: Note, work: Work) -> None:
        return None

    with pytest.raises(TypeError, match="must answer an aggregate"):
        handlers.handle(LedgerApp(Settings(data_dir=tmp_path)), _note("a", "key-00000001"))


def test_a_command_that_handles_its_own_key_is_left_to_it(tmp_path: Path) -> None:
    @dataclass(frozen=True, kw_only=True)
    class OwnKey(Note):
        handles_its_key: ClassVar[bool] = True

    handlers: Handlers[Any] = Handlers("retry")
    seen: list[str | None] = []

    @handlers(OwnKey)
    def own(app: Any, c: OwnKey, work: Work) -> None:
        seen.append(c.idempotency_key)  # answers no aggregate, and is not refused for it

    app = LedgerApp(Settings(data_dir=tmp_path))
    for _ in range(2):
        handlers.handle(
            app,
            OwnKey(
                case_id=uuid.uuid4(),
                text="a",
                caller=CALLER,
                correlation_id="c",
                idempotency_key="key-00000001",
            ),
        )
    assert seen == ["key-00000001", "key-00000001"]


def test_what_a_command_names_is_read_before_it_runs_in_one_read_of_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its target and its key's record (found or not) are read together; loading them in the
    handler, and answering a replay, reads nothing more."""
    app = LedgerApp(Settings(data_dir=tmp_path))
    case_id = uuid.uuid4()
    app.save(Ledger(case_id=case_id))
    reads: list[set[uuid.UUID]] = []
    histories, events = app.histories, app.events.get
    batch: list[bool] = []

    def batched(ids: Any) -> Any:
        reads.append(set(ids))
        batch.append(True)  # (this store, SQLite, is read an aggregate at a time within it)
        try:
            return histories(ids)
        finally:
            batch.pop()

    def one_by_one(*args: Any, **kwargs: Any) -> Any:
        if not batch:
            raise AssertionError("an aggregate the command names was read on its own")
        return events(*args, **kwargs)

    monkeypatch.setattr(app, "histories", batched)
    monkeypatch.setattr(app.repository, "get", one_by_one)
    monkeypatch.setattr(app.events, "get", one_by_one)
    handlers = registry()
    first = handlers.handle(app, _note("a", "key-00000001", case_id=case_id))
    again = handlers.handle(app, _note("a", "key-00000001", case_id=case_id))
    assert again.id == first.id == case_id
    done = idempotency.done_id(CALLER.user_id, "key-00000001")
    assert reads == [{case_id, done}, {case_id, done}]
    monkeypatch.undo()
    assert app.notes(case_id) == ["a"]
