"""A catch-up's session (`Runs`) sends a run of one write statement as one executemany, and
nothing out of order: a read, another statement and the commit each come after every write
before them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, select, update
from sqlalchemy.engine import Engine

from maag.runtime.follow.projection import Runs
from tests.support.read_models import sqlite_with, statements_sent

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("item_id", String(10), primary_key=True),
    Column("state", String(10), nullable=False),
    Column("n", Integer, nullable=False),
    Column("note", String(10)),
)
ADD = items.insert()
SET = update(items).where(items.c.item_id == bindparam("b_id")).values(state=bindparam("b_state"))
COUNT = select(items.c.item_id).where(items.c.state == "sent")


@pytest.fixture
def engine() -> Iterator[Engine]:
    with sqlite_with(metadata) as made:
        yield made


def _contents(engine: Engine) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        query = select(items.c.item_id, items.c.state, items.c.n).order_by(items.c.item_id)
        return [(r[0], r[1], r[2]) for r in conn.execute(query)]


def test_a_run_of_one_statement_is_one_execution_and_a_read_sees_it(engine: Engine) -> None:
    with statements_sent(engine) as sent, Runs(engine) as session, session.begin():
        for i in range(5):
            assert session.execute(ADD, {"item_id": f"i{i}", "state": "asked", "n": i}) is None
        for i in range(3):
            session.execute(SET, {"b_id": f"i{i}", "b_state": "sent"})
        found = session.execute(COUNT).scalars().all()  # the run before it is sent first
        session.execute(SET, {"b_id": "i4", "b_state": "sent"})  # sent at the commit
    assert sorted(found) == ["i0", "i1", "i2"]
    assert [s.split()[0] for s in sent] == ["INSERT", "UPDATE", "SELECT", "UPDATE"]
    assert [state for _, state, _ in _contents(engine)] == ["sent"] * 3 + ["asked", "sent"]


def test_rows_of_another_shape_or_another_statement_start_a_new_run_in_order(
    engine: Engine,
) -> None:
    with statements_sent(engine) as sent, Runs(engine) as session, session.begin():
        session.execute(ADD, {"item_id": "a", "state": "asked", "n": 1})
        session.execute(SET, {"b_id": "a", "b_state": "sent"})  # after the insert it needs
        session.execute(ADD, {"item_id": "b", "state": "asked", "n": 2})
        session.execute(ADD, {"item_id": "c", "state": "asked", "n": 3, "note": "x"})
    assert [s.split()[0] for s in sent] == ["INSERT", "UPDATE", "INSERT", "INSERT"]
    assert _contents(engine) == [("a", "sent", 1), ("b", "asked", 2), ("c", "asked", 3)]


def test_a_run_rolled_back_sends_nothing(engine: Engine) -> None:
    with pytest.raises(RuntimeError), Runs(engine) as session, session.begin():
        session.execute(ADD, {"item_id": "a", "state": "asked", "n": 1})
        raise RuntimeError("the catch-up failed")
    assert _contents(engine) == []
