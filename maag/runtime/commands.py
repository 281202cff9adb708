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
from typing import Any, ClassVar, Generic, TypeVar

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from maag.runtime import causation, idempotency
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
    # The caller's key for this request (`Idempotency-Key`): sent again, it records nothing
    # more and is answered with what the first made (maag.runtime.idempotency).
    idempotency_key: str | None = None
    # A command whose handler gives the key its own meaning (a referral's case id is made
    # from it) is left to that handler.
    handles_its_key: ClassVar[bool] = False


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
                return self._once(handler, app, command, work)
            work = Work(app)
            result = self._once(handler, app, command, work)
            try:
                work.commit()
            except IntegrityError:
                raise Conflict(self.conflict) from None
            return result

    @staticmethod
    def _once(handler: Handler[A], app: A, command: Command, work: Work) -> Any:
        key = command.idempotency_key
        if key is None or command.handles_its_key:
            return handler(app, command, work)
        # One caller's keys are theirs: another person's same key is another request.
        scope = f"{type(command).__name__}:{command.caller.user_id}"
        done = idempotency.done_before(work, scope, key)
        if done is not None and done.result_id is not None:
            return work.get(done.result_id)  # as it is now, without running anything again
        result = handler(app, command, work)
        if not isinstance(result, Aggregate):
            raise TypeError(f"{type(command).__name__}: a keyed command must answer an aggregate")
        idempotency.record_done(work, scope, key, result)
        return result
