"""Use cases as commands: one command type and one handler per use case, found in a
registry (never an `isinstance` chain), each handled in a unit of work that commits in one
transaction. Who asked and the correlation id travel with the command; the events a
handler causes are given them, and the request as their cause, as metadata
(`maag.runtime.causation`): domain methods do not take them.

Every command passes through one pipeline, in this order:
1. the policy (`maag.runtime.policy`): a command that acts on a case names its `action`,
   and the case's scope, as the service knows it, must allow the caller;
2. the caller's `Idempotency-Key`, bound to the request it was first used for (type,
   targets, body, caller): the same request again is answered with what the first made,
   without running anything; the same key with another request is refused (409);
3. the handler, in the unit of work;
4. the commit, and only then the effects the handler left for after it (a key destroyed,
   an index relinked): a replay or a refusal never reaches them. A commit that loses a
   race with another request is nothing stored: steps 1-4 run again on what is there now
   (`CONFLICT_ATTEMPTS` in all) before the caller is told to retry (409).

Queries are not commands: they read read models or aggregates and change nothing (a read
of a case's data is recorded by `maag.runtime.evidence.reads`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from pydantic import BaseModel

from maag.runtime import causation, policy
from maag.runtime.policy import Action, CaseScope
from maag.runtime.store import idempotency
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Conflict, Work
from maag.runtime.web.auth import Caller

A = TypeVar("A", bound=ServiceApplication)
C = TypeVar("C", bound="Command")


@dataclass(frozen=True, kw_only=True)
class Command:
    """What every command carries besides its own fields."""

    caller: Caller
    correlation_id: str
    # The caller's key for this request (`Idempotency-Key`): sent again, it records nothing
    # more and is answered with what the first made (maag.runtime.store.idempotency).
    idempotency_key: str | None = None
    # A command whose handler gives the key its own meaning (a referral's case id is made
    # from it) is left to that handler.
    handles_its_key: ClassVar[bool] = False
    # What it does to the case it targets, as the access policy names it: checked before
    # anything else, a replay included. None: the handler decides (no case is its target).
    action: ClassVar[Action | None] = None

    @property
    def target(self) -> UUID | None:
        """The case this command acts on."""
        found = getattr(self, "case_id", None)
        return found if isinstance(found, UUID) else None

    def request(self) -> str:
        """What was asked, as a digest: the command's type, every field it carries (targets
        and body) and who asked; not when or as part of what (the correlation id)."""
        asked = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("caller", "correlation_id", "idempotency_key")
        }
        text = json.dumps(
            [type(self).__qualname__, self.caller.user_id, asked],
            sort_keys=True,
            default=_plain,
        )
        # Keyed by the caller's key, which the store keeps only as its own digest: the body
        # (a note's text, consent's wording) cannot be guessed back from what is stored.
        key = (self.idempotency_key or "").encode()
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID | date | datetime):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    raise TypeError(f"a command field of type {type(value).__name__} has no request form")


Handler = Callable[[A, Any, Work[A]], Any]
# A unit of work that lost a race (a concurrent change to what it touched) is run again on
# what is there now, this many times in all, before the caller is told `Conflict` (409).
CONFLICT_ATTEMPTS = 5
# How a service knows the scope of a case (maag.runtime.policy): NotFound for none.
Scopes = Callable[[Work[Any], UUID], CaseScope]


class Handlers(Generic[A]):
    """A service's command registry: `@handlers(SomeCommand)` above the one function that
    handles it."""

    def __init__(self, conflict: str, scopes: Scopes | None = None) -> None:
        self.conflict = conflict  # what a caller is told when a concurrent change wins
        self.scopes = scopes
        self._contended = threading.RLock()  # retries after a lost race, one at a time
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

    def handle(self, app: A, command: Command, work: Work[A] | None = None) -> Any:
        """Run the command through the pipeline, in a unit of work committed here (or in
        `work`, which its caller commits and then runs its effects); a concurrent change to
        what it touched is a `Conflict`."""
        handler = self._by_type.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        # The events it causes are the caller's, part of the request's correlation.
        with causation.acting(command.caller.record, command.correlation_id):
            if work is not None:
                return self._run(handler, app, command, work)
            for attempt in range(1, CONFLICT_ATTEMPTS + 1):
                # A first attempt runs beside the others; one that lost a race runs again one
                # at a time with the others that lost theirs, so that requests changing the
                # same busy meeting queue instead of racing each other again.
                with self._contended if attempt > 1 else nullcontext():
                    named = self._named(command)
                    unit: Work[A] = Work(app, named, app.histories(named))
                    result = self._run(handler, app, command, unit)
                    try:
                        unit.commit()
                    except IntegrityError:
                        # Nothing of this attempt was stored: run it again on what is there
                        # now (another request changed a case or meeting it touched).
                        if attempt == CONFLICT_ATTEMPTS:
                            raise Conflict(self.conflict) from None
                        continue
                unit.run_effects()
                return result
            raise AssertionError("unreachable")

    @staticmethod
    def _named(command: Command) -> set[UUID]:
        """The aggregates a command names, read together before it runs (one query, where
        each load was one): its target and every other id it carries (a meeting, a package),
        and its key's record."""
        named = {v for f in fields(command) if isinstance(v := getattr(command, f.name), UUID)}
        key = command.idempotency_key
        if key is not None and not command.handles_its_key:
            named.add(idempotency.done_id(command.caller.user_id, key))
        return named

    def _run(self, handler: Handler[A], app: A, command: Command, unit: Work[A]) -> Any:
        self.authorise(command, unit)
        done = self._done_before(command, unit)
        if done is not None:
            return done  # as it is now, without running anything again
        result = handler(app, command, unit)
        self._record_done(command, unit, result)
        return result

    def authorise(self, command: Command, work: Work) -> None:
        if command.action is None:
            return
        policy.require_role(command.caller, command.action)
        target = command.target
        if target is None or self.scopes is None:
            raise TypeError(f"{type(command).__name__} names an action but no case to act on")
        policy.require(command.caller, command.action, self.scopes(work, target))

    @staticmethod
    def _done_before(command: Command, work: Work) -> Aggregate | None:
        key = command.idempotency_key
        if key is None or command.handles_its_key:
            return None
        done = idempotency.done_before(work, command.caller.user_id, key)
        if done is None:
            return None
        if done.request != command.request():
            raise idempotency.KeyReused(
                "Idempotency-Key: this key was used for another request (another action, "
                "case, body or caller); nothing was done. Use a new key for a new request"
            )
        return work.get(done.result_id) if done.result_id is not None else None

    @staticmethod
    def _record_done(command: Command, work: Work, result: Any) -> None:
        key = command.idempotency_key
        if key is None or command.handles_its_key:
            return
        if not isinstance(result, Aggregate):
            raise TypeError(f"{type(command).__name__}: a keyed command must answer an aggregate")
        idempotency.record_done(work, command.caller.user_id, key, command.request(), result)
