"""Statements run straight at a test's schema, as its owner: what an administrator with the
database can do outside the services (the tamper tests' attacks)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from maag.runtime.settings import Settings


def as_owner(settings: Settings, query: str, *params: Any) -> list[tuple[Any, ...]]:
    assert settings.postgres_url and settings.postgres_schema
    with psycopg.connect(settings.postgres_url) as conn:
        conn.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.postgres_schema))
        )
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []
