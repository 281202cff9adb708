"""What every service counts for Prometheus: requests by route template (never a case id),
and how far the outbox relay is behind the store."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, generate_latest

from maag.runtime.messaging.outbox import OutboxRelay
from maag.runtime.settings import Settings
from maag.runtime.web import http
from tests.support.identity import verifier
from tests.support.pipeline import CLASSES, FakeProducer, IntakeApp, translate


def test_requests_are_counted_by_route_template_method_and_status() -> None:
    api = FastAPI()
    http.install(api, verifier())

    @api.get("/things/{thing_id}")
    def thing(thing_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(thing_id)}

    client = TestClient(api)
    case_id = uuid.uuid4()
    for _ in range(3):
        assert client.get(f"/things/{case_id}").status_code == 200
    assert client.get("/things/not-an-id").status_code == 422
    count: Any = REGISTRY.get_sample_value(
        "maag_http_request_seconds_count",
        {"route": "/things/{thing_id}", "method": "GET", "status": "200"},
    )
    assert count is not None and count >= 3
    assert REGISTRY.get_sample_value(
        "maag_http_request_seconds_count",
        {"route": "/things/{thing_id}", "method": "GET", "status": "422"},
    )
    assert str(case_id) not in generate_latest().decode()


def test_the_relay_says_how_many_stored_events_are_not_yet_published(tmp_path: Path) -> None:
    app = IntakeApp(Settings(data_dir=tmp_path))
    app.receive([(uuid.uuid4(), f"CAF-2026-{n:06d}") for n in range(5)])
    relay = OutboxRelay(
        app, CLASSES, translate, FakeProducer(), source="intake-metrics", batch_size=2
    )
    asyncio.run(relay.relay_once())
    lag = {"service": "intake-metrics", "follower": "relay"}
    assert REGISTRY.get_sample_value("maag_store_lag", lag) == 3
    asyncio.run(relay.relay_once())
    asyncio.run(relay.relay_once())
    assert REGISTRY.get_sample_value("maag_store_lag", lag) == 0
