"""SQL both read-model databases understand: many rows inserted in one statement."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, LargeBinary, MetaData, Table, create_engine
from sqlalchemy.orm import Session

from maag.runtime.follow.portable_sql import in_one_statement
from tests.support.read_models import statements_sent

metadata = MetaData()
links = Table(
    "links",
    metadata,
    Column("notification_id", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)


def test_rows_inserted_in_one_statement_go_as_one_statement_a_thousand_at_most() -> None:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    rows = [{"notification_id": i, "hash": b"%d" % i} for i in range(1, 1201)]
    with statements_sent(engine) as sent, Session(engine) as session, session.begin():
        session.execute(in_one_statement(links.insert()), rows)
    assert [s.count("), (") + 1 for s in sent] == [1000, 200]
    with Session(engine) as session:
        stored = session.execute(links.select().order_by(links.c.notification_id)).all()
    assert [(n, bytes(h)) for n, h in stored] == [(r["notification_id"], r["hash"]) for r in rows]
