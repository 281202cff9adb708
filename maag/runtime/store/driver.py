"""Fixed statements on a hot path given straight to psycopg on one of an engine's pooled
connections, where SQLAlchemy's work around each statement (its connection, transaction and
result objects) costs more than the database does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError


@contextmanager
def driver_transaction(engine: Engine, autocommit: bool = False) -> Iterator[psycopg.Cursor[Any]]:
    """A psycopg cursor on one of `engine`'s pooled connections (PostgreSQL's, which
    `read_model_engine` makes with psycopg), in a transaction committed at the end; or,
    `autocommit`, each statement its own (for a single statement: the same, without the
    round trips of BEGIN and COMMIT). For a hot path's few fixed statements, where
    SQLAlchemy's work around each (its connection, transaction and result objects) costs
    more than psycopg's; psycopg prepares a statement it is given again on the server.
    Errors are raised as SQLAlchemy raises them (`DBAPIError`'s subclasses, for the same
    handlers), a connection found broken is dropped from the pool, and one given back is
    rolled back by the pool (its reset on return)."""
    raw = engine.raw_connection()
    pg: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
    try:
        if autocommit:
            pg.autocommit = True
        with pg.cursor() as cursor:
            yield cursor
        if not autocommit:
            pg.commit()
    except psycopg.Error as e:
        gone = pg.closed or pg.broken  # as SQLAlchemy's psycopg dialect tells a disconnection
        if gone:
            raw.invalidate(e)
        raise DBAPIError.instance(
            None, None, e, psycopg.Error, connection_invalidated=gone, dialect=engine.dialect
        ) from e
    finally:
        if autocommit and raw.is_valid:
            try:
                pg.autocommit = False  # as every other user of the pool expects it
            except psycopg.Error as e:
                raw.invalidate(e)
        raw.close()
