"""The pooled connection check that needs no round trip: where it reaches into psycopg_pool."""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool

from maag.runtime.store import liveness


def test_the_pool_s_check_is_where_check_cheaply_puts_it() -> None:
    """psycopg_pool keeps the check it was made with as `_check` and calls it from
    `_check_connection` at each checkout; if that changes, `check_cheaply` must too."""
    seen: list[Any] = []
    pool: ConnectionPool[Any] = ConnectionPool(
        "dbname=none", open=False, check=ConnectionPool.check_connection
    )
    liveness.check_cheaply(pool)
    assert pool._check is liveness.check
    pool._check = seen.append
    pool._check_connection("a connection")
    assert seen == ["a connection"]


def test_a_pool_made_without_a_check_is_left_without_one() -> None:
    pool: ConnectionPool[Any] = ConnectionPool("dbname=none", open=False)
    liveness.check_cheaply(pool)
    assert pool._check is None


class _Closed:
    closed = True


def test_a_closed_connection_has_word_from_the_server() -> None:
    assert liveness.has_word_from_server(_Closed())
