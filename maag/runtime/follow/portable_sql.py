"""SQL that both read-model databases (PostgreSQL, and SQLite in unit tests) understand, for
reports that add up days in the database rather than row by row in Python.

Dates become whole day numbers (days since 1970-01-01) so that spans are plain integer
arithmetic; `greatest`/`least` are SQLite's many-argument `max`/`min` there. Neither takes
NULLs here: callers coalesce first (PostgreSQL's skip NULLs, SQLite's return NULL)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

EPOCH = date(1970, 1, 1)


def day_of(d: date) -> int:
    """A date's day number, as `day_number` gives it in SQL."""
    return (d - EPOCH).days


class day_number(FunctionElement[int]):
    """A DATE column's day number; NULL stays NULL."""

    type = Integer()
    inherit_cache = True


@compiles(day_number, "postgresql")
def _day_number_pg(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: Any, **kw: Any) -> str:
    # julianday of a midnight is n + 0.5: the epoch's is 2440587.5, so the difference is whole
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


class greatest(FunctionElement[int]):
    type = Integer()
    inherit_cache = True


class least(FunctionElement[int]):
    type = Integer()
    inherit_cache = True


@compiles(greatest)
def _greatest(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


@compiles(least)
def _least(element: least, compiler: Any, **kw: Any) -> str:
    return f"least({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"
