"""The store away, however a route reached it (eventsourcing's recorders, psycopg, or
SQLAlchemy for a read model, a keyring or an index), is a 503 to retry, never a 500."""

from __future__ import annotations

import eventsourcing.persistence
import psycopg
import pytest
import sqlalchemy.exc
from fastapi import FastAPI
from fastapi.testclient import TestClient

from maag.runtime.web import http
from tests.support.identity import verifier

REFUSED = psycopg.OperationalError("connection refused")


@pytest.mark.parametrize(
    "outage",
    [
        eventsourcing.persistence.OperationalError("connection refused"),
        eventsourcing.persistence.InterfaceError("connection closed"),
        REFUSED,
        sqlalchemy.exc.OperationalError("SELECT 1", {}, REFUSED),
        sqlalchemy.exc.InterfaceError("SELECT 1", {}, REFUSED),
    ],
    ids=lambda e: f"{type(e).__module__}.{type(e).__name__}",
)
def test_the_store_away_is_a_503_with_retry_after(outage: Exception) -> None:
    api = FastAPI()
    http.install(api, verifier())

    @api.get("/things")
    def things() -> dict[str, str]:
        raise outage

    response = TestClient(api, raise_server_exceptions=False).get("/things")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "store is unavailable" in response.json()["detail"]
