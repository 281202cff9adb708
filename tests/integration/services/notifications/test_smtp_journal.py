"""The sender's journal on PostgreSQL (its insert given straight to psycopg): an acceptance
journalled again changes nothing, and what the server accepted is found with its attempts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from services.notifications.adapters.journal import SentJournal, journal


@pytest.fixture
def engine(postgres_url: str, pg_schema: str) -> Iterator[Engine]:
    made = read_model_engine(
        Settings(postgres_url=postgres_url, postgres_schema=pg_schema), "notifications"
    )
    yield made
    made.dispose()


def test_an_acceptance_journalled_again_changes_nothing(engine: Engine) -> None:
    sent = SentJournal(engine)
    first, second, never = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    sent.accepted(first, 1)
    sent.accepted(first, 3)  # a crash between the insert and the record, then sent again
    sent.accepted(second, 2)
    assert sent.sent_among([first, second, never]) == {first: 1, second: 2}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(journal)).scalar() == 2
        # the pool's connections are left as the rest of the service expects them
        assert conn.execute(select(func.now())).scalar() is not None
        assert not conn.connection.driver_connection.autocommit  # type: ignore[union-attr]
