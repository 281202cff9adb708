"""A read model's projection run over events made as their aggregates would record them,
in SQLite, and the rows it leaves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from sqlalchemy import MetaData, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from maag.runtime.follow.projection import Runs

E = TypeVar("E")


@contextmanager
def sqlite_with(metadata: MetaData) -> Iterator[Engine]:
    made = create_engine("sqlite://")
    metadata.create_all(made)
    yield made
    made.dispose()


def projected(engine: Engine, project: Callable[[Any, Session], None], *events: Any) -> None:
    """As a catch-up projects them: in one `Runs` session, committed."""
    with Runs(engine) as session:
        for e in events:
            project(e, session)
        session.commit()


def rows(engine: Engine, table: Any) -> set[tuple[Any, ...]]:
    with Session(engine) as session:
        return {tuple(r) for r in session.execute(select(table))}


def recorded(kind: type[E], originator: UUID, version: int, at: datetime, **fields: Any) -> E:
    """An event as its aggregate would record it (mypy does not see the event classes'
    fields as the dataclass's)."""
    made: E = cast(Any, kind)(
        originator_id=originator, originator_version=version, timestamp=at, **fields
    )
    return made


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The SQL `engine` sends while in the block, one entry per statement the driver is
    given (an executemany is one entry, its rows sent as that many statements)."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        sent.append(sql)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)
