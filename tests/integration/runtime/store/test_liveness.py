"""On the real PostgreSQL: a pooled connection the server has closed is found before use
(no failed call), and a well one is used without a round trip first."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool
from sqlalchemy import text

from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from tests.support.pipeline import Ledger, LedgerApp


def _terminate(postgres_url: str, pid: int) -> None:
    """The server ends that connection's backend, as a restart does; returns once it is gone."""
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))  # waits for it to end
        gone = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
        assert gone.fetchone() == (0,)


def test_a_connection_the_server_closed_is_replaced_before_use(
    postgres_url: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = LedgerApp(
        Settings(postgres_url=postgres_url, postgres_schema=pg_schema),
        env={"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"},  # the next is that one
    )
    try:
        pool = app.recorder.datastore.pool  # type: ignore[attr-defined]
        asked: list[Any] = []
        real = ConnectionPool.check_connection

        def counted(conn: Any) -> None:
            asked.append(conn)
            real(conn)

        monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counted))
        with pool.connection() as conn:
            pid = conn.info.backend_pid
        for _ in range(5):  # well: no round trip before use
            with pool.connection() as conn:
                assert conn.info.backend_pid == pid
        assert asked == []
        _terminate(postgres_url, pid)
        with pool.connection() as conn:  # found closed before use: another, and it works
            assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}
            assert conn.info.backend_pid != pid
        ledger = Ledger(case_id=uuid.uuid4())
        app.save(ledger)
        assert app.repository.get(ledger.id).id == ledger.id
    finally:
        app.close()


def test_a_read_model_connection_the_server_closed_is_replaced_before_use(
    postgres_url: str, pg_schema: str
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA IF NOT EXISTS "{pg_schema}"')
    engine = read_model_engine(Settings(postgres_url=postgres_url, postgres_schema=pg_schema), "x")
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _terminate(postgres_url, pid)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()
