"""Audited reads: each read of a case's data through an API is itself an event on record.

One small aggregate per read (never a shared one, so concurrent reads do not conflict);
its `case_id` puts it in the case's index and so in the case's audit replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from maag.runtime import causation
from maag.runtime.application import ServiceApplication
from maag.runtime.auth import Caller


class CaseRead(Aggregate):
    class Recorded(Aggregate.Created):
        case_id: UUID
        actor: dict[str, str]
        endpoint: str
        at: str

    @event(Recorded)
    def __init__(self, case_id: UUID, actor: dict[str, str], endpoint: str, at: str) -> None:
        self.case_id = case_id
        self.endpoint = endpoint


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
    endpoint = endpoint or (causation.current() or {}).get("request", "unknown")
    at = datetime.now(UTC).isoformat()
    reads = [CaseRead(case_id, caller.record, endpoint, at) for case_id in set(case_ids)]
    if reads:
        app.save(*reads)
