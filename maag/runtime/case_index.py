"""Which of a service's aggregates belong to which case: so one case's history is read
without scanning the store.

An aggregate belongs to the case named by the `case_id` of its first event. The index is
kept by the event chain, in the same transaction and over the same notifications, so it
covers exactly what the chain covers; events stored since are found by reading the short
tail after the chain's head.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import Column, MetaData, Table, Uuid, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from maag.runtime.application import ServiceApplication
from maag.runtime.projection import create_tables

FIRST_VERSION = 1  # eventsourcing numbers an aggregate's events from 1


def case_of(domain_event: Any) -> UUID | None:
    found = vars(domain_event).get("case_id")
    if isinstance(found, UUID):
        return found
    if isinstance(found, str):
        try:
            return UUID(found)
        except ValueError:
            return None
    return None


class CaseIndex:
    def __init__(self, app: ServiceApplication, engine: Engine) -> None:
        self.app = app
        self.table = Table(
            f"{app.name.lower()}_case_index",
            MetaData(),
            Column("case_id", Uuid, primary_key=True),
            Column("originator_id", Uuid, primary_key=True),
        )
        create_tables(self.table.metadata, engine)

    def cases_in(self, notifications: Iterable[Any]) -> Iterator[tuple[UUID, UUID]]:
        """(case id, aggregate id) of each aggregate of a case first seen in `notifications`."""
        for n in notifications:
            if n.originator_version == FIRST_VERSION:
                case_id = case_of(self.app.mapper.to_domain_event(n))
                if case_id is not None:
                    yield case_id, n.originator_id

    def add(self, session: Session, notifications: Iterable[Any]) -> int:
        """Index the aggregates first seen in `notifications` (inside the caller's transaction)."""
        rows = [
            {"case_id": case_id, "originator_id": originator_id}
            for case_id, originator_id in self.cases_in(notifications)
        ]
        if rows:
            session.execute(self.table.insert(), rows)
        return len(rows)

    def aggregates_of(self, session: Session, case_id: UUID) -> set[UUID]:
        found = session.execute(
            select(self.table.c.originator_id).where(self.table.c.case_id == case_id)
        ).scalars()
        return set(found)
