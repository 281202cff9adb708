"""SQL that both read-model databases (PostgreSQL, and SQLite in unit tests) understand, for
reports that add up days in the database rather than row by row in Python.

Dates become whole day numbers (days since 1970-01-01) so that spans are plain integer
arithmetic; `greatest`/`least` are SQLite's many-argument `max`/`min` there. Neither takes
NULLs here: callers coalesce first (PostgreSQL's skip NULLs, SQLite's return NULL)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Insert, Integer, String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

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


class bytewise(FunctionElement[str]):
    """A text column compared byte by byte (Python's order of its strings): `COLLATE "C"` on
    PostgreSQL, where it also lets a sort compare abbreviated keys rather than call the
    locale's collation on each pair; SQLite's own comparison is already bytewise."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(bytewise)
def _bytewise(element: bytewise, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)  # type: ignore[no-any-return]


@compiles(bytewise, "postgresql")
def _bytewise_pg(element: bytewise, compiler: Any, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


def bytewise_string(length: int) -> TypeEngine[str]:
    """A text column's type that compares, sorts and is indexed byte by byte (as `bytewise`
    compares): `COLLATE "C"` on PostgreSQL, so that an index on it is in the order a query
    asks for without a `COLLATE` of its own; SQLite's own comparison is already bytewise."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class rounded_quotient(FunctionElement[int]):
    """`round(n / d)` of an integer `n` by a positive odd integer `d`, half away from zero, in
    whole-number arithmetic both databases do exactly (their `/` of integers truncates towards
    zero). With `d` odd a quotient is never a half, so this is Python's `round` of it too;
    cheaper than the same division in PostgreSQL's NUMERIC or SQLite's floating point.

    `sign_of`: an expression cheaper than `n` that is negative whenever `n` is (and not
    positive when `n` is negative), so that `n` is worked out once; `n` itself by default."""

    type = BigInteger()
    inherit_cache = True

    def __init__(self, n: Any, d: int, sign_of: Any = None) -> None:
        if isinstance(d, bool) or not isinstance(d, int) or d <= 0 or d % 2 == 0:
            raise ValueError(f"the divisor must be a positive odd integer, not {d!r}")
        # written into the SQL (a checked int), so part of the statement's cache key
        super().__init__(n, literal_column(str(d)), n if sign_of is None else sign_of)


@compiles(rounded_quotient)
def _rounded_quotient(element: rounded_quotient, compiler: Any, **kw: Any) -> str:
    n, d, sign = (compiler.process(c, **kw) for c in element.clauses)
    half = int(d) // 2
    return f"(CASE WHEN {sign} < 0 THEN ({n} - {half}) / {d} ELSE ({n} + {half}) / {d} END)"


def in_one_statement(insert: Insert) -> Insert:
    """`insert`, such that executing it with a list of rows sends them as one statement.

    psycopg's executemany sends a statement per row (pipelined, but each parsed, planned and
    run by the server on its own); SQLAlchemy's "insertmanyvalues" folds the rows into one
    multi-row VALUES statement (up to 1,000 rows a statement) for an INSERT..RETURNING only.
    What it returns is not read."""
    return insert.returning(*insert.table.primary_key)
