"""Keyed requests done once. A caller that sends an `Idempotency-Key` with a write and sends it
again (a reload, a double click, a retry after a lost answer) changes nothing the second time:
the first records a `Done` in the same unit of work as what it did, so both commit together or
neither does. Two at once: the store accepts one `Done` and refuses the other (a conflict; its
retry finds the request done)."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from maag.runtime.unit_of_work import Work

NAMESPACE = UUID("5b1d7c1e-3a52-4f7e-9a38-0c1e9d6b7f21")


class Done(Aggregate):
    """That the request keyed `key` within `scope` was carried out."""

    class Recorded(Aggregate.Created):
        scope: str
        key_digest: str  # the caller's key is theirs: only its digest is kept

    @event(Recorded)
    def __init__(self, scope: str, key_digest: str) -> None:
        self.scope = scope

    @staticmethod
    def create_id(scope: str, key_digest: str, **_: Any) -> UUID:
        return uuid5(NAMESPACE, f"{scope}\x00{key_digest}")


def first_time(work: Work, scope: str, key: str | None) -> bool:
    """Whether this keyed request is new (then it is recorded in `work`); no key: always."""
    if key is None:
        return True
    digest = hashlib.sha256(key.encode()).hexdigest()
    if work.find(Done.create_id(scope, digest)) is not None:
        return False
    work.add(Done(scope=scope, key_digest=digest))  # its id is the key's: a second collides
    return True
