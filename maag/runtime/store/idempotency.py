"""Keyed requests done once. A caller that sends an `Idempotency-Key` with a write and sends it
again (a reload, a double click, a retry after a lost answer) changes nothing the second time
and is answered with what the first made: the first records a `Done` in the same unit of work as
what it did, so both commit together or neither does. Two at once: the store accepts one `Done`
and refuses the other (a conflict; its retry finds the request done).

A key is bound to the request it was first used for: the `Done` keeps a digest of the
request (its command, targets, body and caller), and the same key with another request is
refused rather than answered (`maag.runtime.commands`). A caller's keys are theirs alone."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, THIRD_PARTY
from maag.runtime.store.unit_of_work import Work


class KeyReused(Exception):
    """An `Idempotency-Key` sent again with another request (HTTP 409): nothing is done."""


NAMESPACE = UUID("5b1d7c1e-3a52-4f7e-9a38-0c1e9d6b7f21")


class Done(Aggregate):
    """That the request keyed `key` within `scope` was carried out, and what it acted on."""

    class Recorded(Aggregate.Created):
        scope: Annotated[str, THIRD_PARTY]  # the caller's user id
        key_digest: Annotated[str, OPERATIONAL]  # the caller's key is theirs: only its digest
        result_id: Annotated[UUID | None, OPERATIONAL]
        request: Annotated[str | None, OPERATIONAL]  # the keyed digest of the request

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["result_id"] = None  # v1 (panel decisions) kept no result

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            # Kept no request: such a key matches no request, and is refused if reused.
            state["request"] = None

    @event(Recorded)
    def __init__(
        self, scope: str, key_digest: str, result_id: UUID | None, request: str | None
    ) -> None:
        self.scope = scope
        self.result_id = result_id
        self.request = request

    @staticmethod
    def create_id(scope: str, key_digest: str, **_: Any) -> UUID:
        return uuid5(NAMESPACE, f"{scope}\x00{key_digest}")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def done_id(scope: str, key: str) -> UUID:
    """Where the record of this keyed request is, or would be."""
    return Done.create_id(scope, _digest(key))


def done_before(work: Work, scope: str, key: str) -> Done | None:
    """The record of this keyed request, if it was carried out."""
    found = work.find(done_id(scope, key))
    return found if isinstance(found, Done) else None


def record_done(work: Work, scope: str, key: str, request: str, result: Aggregate) -> None:
    """Record in `work` that the request (its digest) was carried out, acting on `result`;
    its id is the key's, so a second at the same moment collides in the store."""
    work.add(Done(scope=scope, key_digest=_digest(key), result_id=result.id, request=request))
