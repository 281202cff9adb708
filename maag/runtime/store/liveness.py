"""A pooled PostgreSQL connection checked before use without a round trip when it is well.

A connection the server has closed (a restart, a failover, an idle timeout) has something to
read on its socket: the server's goodbye, or the end of the stream. One that has nothing to
read is used as it is; one that has is asked properly (or replaced). The usual "pre-ping"
sends a query at every checkout instead: a round trip, and a statement for the database to
run, before every one of a service's statements (about a sixth of a busy service's time).
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
import sqlalchemy.exc
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import ConnectionPool
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

# The store away (down, restarting, unreachable), however it was reached: through
# eventsourcing's recorders, psycopg itself, or SQLAlchemy (read models, keyrings, indexes).
# Not the request's or the message's fault: an HTTP call gets a 503 to retry, a consumer
# retries the batch (never dead-letters it).
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
)


def has_word_from_server(conn: Any) -> bool:
    """Whether an idle connection is closed, or has something from the server waiting (the
    end of the stream, a notice or a notification): then it must be asked, not trusted."""
    if getattr(conn, "closed", False) or getattr(conn, "broken", False):
        return True
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def check(conn: psycopg.Connection[Any]) -> None:
    """psycopg_pool's check: raise if the connection cannot be used (the pool then discards
    it and takes another); a round trip only when the server has said something."""
    if has_word_from_server(conn):
        ConnectionPool.check_connection(conn)


def check_cheaply(pool: Any) -> None:
    """Give an eventsourcing datastore's pool (built with its pre-ping check) this check.

    eventsourcing builds the pool itself and takes only "pre-ping or not"; psycopg_pool
    takes the check only when the pool is made. So this one place sets the pool's private
    `_check` (tests/unit/runtime/store/test_liveness.py notices if psycopg_pool renames it).
    """
    if isinstance(pool, ConnectionPool) and getattr(pool, "_check", None) is not None:
        pool._check = check


def check_engine_cheaply(engine: Engine) -> None:
    """The same for a SQLAlchemy engine (read models): made without `pool_pre_ping`, each
    checkout is checked here; a closed connection is replaced (SQLAlchemy's documented
    custom disconnect handling: raise DisconnectionError from the checkout event)."""

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if has_word_from_server(dbapi_connection):
            raise DisconnectionError("the server closed this pooled connection")
