"""Which of a service's aggregates belong to which case: so one case's history is read
without scanning the store.

An aggregate belongs to the case named by the `case_id` of its first event. The index is
kept by the event chain, in the same transaction and over the same notifications, so it
covers exactly what the chain covers; events stored since are found by reading the short
tail after the chain's head. Each of its rows is also in the chain (the link of the
aggregate's first event covers its case), so a row deleted or added is caught by `verify`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import Column, MetaData, Table, Uuid, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from maag.runtime.follow.portable_sql import in_one_statement
from maag.runtime.follow.projection import create_tables
from maag.runtime.store.application import ServiceApplication

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


def cases_table(service: str) -> Table:
    return Table(
        f"{service.lower()}_case_index",
        MetaData(),
        Column("case_id", Uuid, primary_key=True),
        Column("originator_id", Uuid, primary_key=True),
    )


class CaseIndex:
    def __init__(self, app: ServiceApplication, engine: Engine) -> None:
        self.app = app
        self.table = cases_table(app.name)
        create_tables(self.table.metadata, engine)

    def cases_in(self, notifications: Iterable[Any]) -> Iterator[tuple[UUID, UUID]]:
        """(case id, aggregate id) of each aggregate of a case first seen in `notifications`."""
        for n in notifications:
            if n.originator_version == FIRST_VERSION:
                case_id = case_of(self.app.mapper.to_domain_event(n))
                if case_id is not None:
                    yield case_id, n.originator_id

    def add_rows(self, session: Session, pairs: Iterable[tuple[UUID, UUID]]) -> int:
        """Index (aggregate id, case id) pairs (inside the chainer's transaction)."""
        rows = [{"case_id": case_id, "originator_id": aggregate} for aggregate, case_id in pairs]
        if rows:
            # A row already there (chain rows deleted and the history chained again, which
            # `verify` reports) must not stop the chainer.
            insert = (
                pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            )(self.table)
            session.execute(in_one_statement(insert.on_conflict_do_nothing()), rows)
        return len(rows)

    def rows(self, session: Session) -> set[tuple[str, str]]:
        """Every (case id, aggregate id) indexed, as hyphenated text."""
        found = session.execute(select(self.table.c.case_id, self.table.c.originator_id))
        return {(str(case_id), str(aggregate)) for case_id, aggregate in found}

    def aggregates_of(self, session: Session, case_id: UUID) -> set[UUID]:
        found = session.execute(
            select(self.table.c.originator_id).where(self.table.c.case_id == case_id)
        ).scalars()
        return set(found)
