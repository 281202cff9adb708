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
