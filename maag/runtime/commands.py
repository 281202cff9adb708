"""Use cases as commands: one command type and one handler per use case, found in a
registry (never an `isinstance` chain), each handled in a unit of work that commits in one
transaction. Who asked and the correlation id travel with the command; the events a
handler causes are given them, and the request as their cause, as metadata
(`maag.runtime.causation`): domain methods do not take them.

Queries are not commands: they read read models or aggregates and change nothing (a read
of a case's data is recorded by `maag.runtime.reads`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from eventsourcing.persistence import IntegrityError

from maag.runtime import causation
from maag.runtime.application import ServiceApplication
from maag.runtime.auth import Caller
from maag.runtime.unit_of_work import Conflict, Work

A = TypeVar("A", bound=ServiceApplication)
C = TypeVar("C", bound="Command")


@dataclass(frozen=True, kw_only=True)
class Command:
    """What every command carries besides its own fields."""

    caller: Caller
    correlation_id: str


Handler = Callable[[A, Any, Work], Any]


class Handlers(Generic[A]):
    """A service's command registry: `@handlers(SomeCommand)` above the one function that
    handles it."""

    def __init__(self, conflict: str) -> None:
        self.conflict = conflict  # what a caller is told when a concurrent change wins
        self._by_type: dict[type[Command], Handler[A]] = {}

    def __call__(self, kind: type[C]) -> Callable[[Handler[A]], Handler[A]]:
        def register(handler: Handler[A]) -> Handler[A]:
            if kind in self._by_type:
                raise TypeError(f"{kind.__name__} already has a handler")
            self._by_type[kind] = handler
            return handler

        return register

    @property
    def kinds(self) -> frozenset[type[Command]]:
        return frozenset(self._by_type)

    def handle(self, app: A, command: Command, work: Work | None = None) -> Any:
        """Run the command's handler in a unit of work (`work`, or a new one committed
        here); a concurrent change to what it touched is a `Conflict`."""
        handler = self._by_type.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        # The events it causes are the caller's, part of the request's correlation.
        with causation.acting(command.caller.record, command.correlation_id):
            if work is not None:
                return handler(app, command, work)
            work = Work(app)
            result = handler(app, command, work)
            try:
                work.commit()
            except IntegrityError:
                raise Conflict(self.conflict) from None
            return result
