"""PostgreSQL is a real server: a round trip inside the test's own schema."""

from __future__ import annotations

import psycopg
from psycopg import sql


def test_round_trip_in_the_tests_own_schema(postgres_url: str, pg_schema: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        table = sql.Identifier(pg_schema, "probe")
        conn.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, note text)").format(table))
        conn.execute(sql.SQL("INSERT INTO {} VALUES (1, 'kept')").format(table))
        conn.commit()
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(sql.SQL("SELECT id, note FROM {}").format(table)).fetchall()
        version = conn.execute("SHOW server_version").fetchone()
    assert rows == [(1, "kept")]
    assert version is not None and int(version[0].split(".")[0]) >= 13


def test_the_local_server_takes_two_systems_and_the_tests_beside_them(postgres_url: str) -> None:
    """`maag infra up` raised the server's connection slots past Debian's 100 (two test
    workers' systems of ~50 connections each exhausted them)."""
    from maag.ops.infra.postgres import MAX_CONNECTIONS

    with psycopg.connect(postgres_url) as conn:
        found = conn.execute("SHOW max_connections").fetchone()
    assert found is not None and int(found[0]) >= MAX_CONNECTIONS
