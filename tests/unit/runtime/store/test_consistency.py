"""Reading one's own writes: a write answers with the store's position, and a read that sends it
back sees the read model at least that far, although the projection loop has not run."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.orm import Session

from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store import consistency
from tests.support import identity
from tests.support.pipeline import Ledger, LedgerApp

metadata = MetaData()
seen = Table("seen", metadata, Column("aggregate_id", String(36), primary_key=True))


def project(e: Any, session: Session) -> None:
    session.execute(seen.insert().values(aggregate_id=str(e.originator_id)))


@pytest.fixture
def client(tmp_path: Path) -> Any:
    settings = Settings(data_dir=tmp_path)
    app = LedgerApp(settings)
    engine = read_model_engine(settings, "ledger")
    projector = Projector(app, engine, metadata, project, "seen")
    api = FastAPI()

    @api.post("/ledgers")
    def write() -> dict[str, str]:
        ledger = Ledger(uuid.uuid4())
        app.save(ledger)
        return {"id": str(ledger.id)}

    @api.get("/ledgers/count")
    def count() -> int:
        with Session(engine) as session:
            return int(session.execute(select(func.count()).select_from(seen)).scalar() or 0)

    api.state.verifier = identity.verifier()  # as maag.runtime.web.http.install sets it
    consistency.install(api, app, projector)
    return TestClient(api, headers=identity.auth())


ASK = {consistency.ASK_HEADER: "1"}


def test_a_read_after_the_callers_write_sees_it_and_one_without_may_not(client: Any) -> None:
    r = client.post("/ledgers", headers=ASK)
    position = r.headers[consistency.POSITION_HEADER]
    assert int(position) >= 1
    # nothing has run the projection: a plain read is behind, as read models may be
    assert client.get("/ledgers/count").json() == 0
    after = {consistency.AFTER_HEADER: position}
    assert client.get("/ledgers/count", headers=after).json() == 1
    client.post("/ledgers")
    client.post("/ledgers")
    assert client.get("/ledgers/count", headers=after).json() == 1  # only as far as asked
    latest = client.post("/ledgers", headers=ASK).headers[consistency.POSITION_HEADER]
    assert client.get("/ledgers/count", headers={consistency.AFTER_HEADER: latest}).json() == 4


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"])
def test_a_caller_without_a_valid_token_makes_the_store_do_nothing(
    client: Any, authorization: str | None
) -> None:
    """The catching up (reads of the store and the read model) happens only for someone
    the service knows; anyone else's read goes straight to the route, which refuses it."""
    position = client.post("/ledgers", headers=ASK).headers[consistency.POSITION_HEADER]
    headers = {consistency.AFTER_HEADER: position, "Authorization": authorization or ""}
    assert client.get("/ledgers/count", headers=headers).json() == 0
    assert client.get("/ledgers/count", headers={consistency.AFTER_HEADER: position}).json() == 1


def test_a_position_past_the_store_waits_for_nothing(client: Any) -> None:
    client.post("/ledgers")
    r = client.get("/ledgers/count", headers={consistency.AFTER_HEADER: "9" * 18})
    assert (r.status_code, r.json()) == (200, 1)


@pytest.mark.parametrize("bad", ["-1", "1e3", "0x10", "١٢".encode(), "9" * 19, ""])
def test_a_position_that_is_not_one_is_400_naming_the_header(client: Any, bad: str | bytes) -> None:
    r = client.get("/ledgers/count", headers={consistency.AFTER_HEADER: bad})
    assert r.status_code == 400
    assert r.json()["detail"].startswith(f"header {consistency.AFTER_HEADER}: not a position")


def test_only_a_write_that_asks_and_succeeds_is_answered_with_a_position(client: Any) -> None:
    assert consistency.POSITION_HEADER not in client.get("/ledgers/count", headers=ASK).headers
    assert consistency.POSITION_HEADER not in client.post("/nowhere", headers=ASK).headers
    assert consistency.POSITION_HEADER not in client.post("/ledgers").headers
