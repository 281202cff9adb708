"""Audited reads: each read of a case's data through an API is itself an event on record.

One small aggregate per read (never a shared one, so concurrent reads do not conflict);
its `case_id` puts it in the case's index and so in the case's audit replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, THIRD_PARTY
from maag.runtime import causation
from maag.runtime.store.application import ServiceApplication
from maag.runtime.web.auth import Caller


class CaseRead(Aggregate):
    class Recorded(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]
        actor: Annotated[dict[str, str], THIRD_PARTY]
        endpoint: Annotated[str, OPERATIONAL]
        at: Annotated[str, OPERATIONAL]
        personal_data: Annotated[bool, OPERATIONAL]  # whether the child's details were shown

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["personal_data"] = False  # v1 reads were of services that hold none

    @event(Recorded)
    def __init__(
        self, case_id: UUID, actor: dict[str, str], endpoint: str, at: str, personal_data: bool
    ) -> None:
        self.case_id = case_id
        self.endpoint = endpoint
        self.personal_data = personal_data


# The events of aggregates that are made and never changed (a read: the aggregate has no
# command). What is kept described of one is not checked against the store again: a row
# added or altered there is what `maag audit verify` reports.
WRITTEN_ONCE: frozenset[type] = frozenset({CaseRead.Recorded})


def case_reads(
    case_ids: Iterable[UUID],
    caller: Caller,
    endpoint: str | None = None,
    personal_data: bool = False,
) -> list[CaseRead]:
    """One new read per case (to be saved before answering); the endpoint defaults to the
    request being served."""
    endpoint = endpoint or (causation.current() or {}).get("request", "unknown")
    at = datetime.now(UTC).isoformat()
    return [
        CaseRead(case_id, caller.record, endpoint, at, personal_data) for case_id in set(case_ids)
    ]


def record_read(
    app: ServiceApplication, case_id: UUID, caller: Caller, endpoint: str | None = None
) -> None:
    """Record that `caller` read `case_id`'s data (before answering); the endpoint defaults
    to the request being served."""
    record_reads(app, [case_id], caller, endpoint)


def record_reads(
    app: ServiceApplication, case_ids: Iterable[UUID], caller: Caller, endpoint: str | None = None
) -> None:
    """Record one read per case of a listing that shows several cases, in one transaction."""
    if reads := case_reads(case_ids, caller, endpoint):
        app.save(*reads)
