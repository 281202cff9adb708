"""Every stored event names its cause: the inbound event a consumer was handling (each
event of a batch its own), or the HTTP request; a cause once given is never replaced."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contracts.envelope import decode
from contracts.events.referral import ReferralReceived
from contracts.topics import REFERRAL_EVENTS
from maag.runtime import causation
from maag.runtime.messaging.consumer import TrackedConsumer, on_events
from maag.runtime.messaging.outbox import OutboxRelay
from maag.runtime.settings import Settings
from maag.runtime.store.group_commit import GroupCommit
from maag.runtime.web import http
from tests.support.identity import auth, verifier
from tests.support.pipeline import (
    CLASSES,
    FakeProducer,
    IntakeApp,
    Ledger,
    LedgerApp,
    on_received,
    translate,
)

TOPIC = REFERRAL_EVENTS.name


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_a_cause_is_stored_with_the_event_and_never_replaced(settings: Settings) -> None:
    app = LedgerApp(settings)
    ledger = Ledger(case_id=uuid.uuid4())
    for path, correlation in (("/a", "c-1"), ("/b", "c-2")):
        cause = causation.of_request("POST", path, correlation)
        causation.give(ledger.pending_events, {causation.ATTRIBUTE: cause})
    with causation.caused_by(causation.of_request("POST", "/c", "c-3")):
        app.save(ledger)
        ledger.note("x")
        app.save(ledger)
    first, second = app.events.get(ledger.id)
    assert causation.of(first) == {"request": "POST /a", "correlation_id": "c-1"}
    assert causation.of(second) == {"request": "POST /c", "correlation_id": "c-3"}
    assert app.repository.get(ledger.id).notes == ["x"]  # still rebuilds


def test_without_a_cause_nothing_is_stamped(settings: Settings) -> None:
    app = LedgerApp(settings)
    ledger = Ledger(case_id=uuid.uuid4())
    app.save(ledger)
    (only,) = app.events.get(ledger.id)
    assert causation.of(only) is None


def test_group_commit_keeps_each_callers_cause(settings: Settings) -> None:
    app = LedgerApp(settings)
    writer = GroupCommit(app)
    ledger = Ledger(case_id=uuid.uuid4())
    with causation.caused_by(causation.of_request("POST", "/referrals", "c-9")):
        writer.save(ledger)  # written by another thread, which has no request
    writer.close()
    (only,) = app.events.get(ledger.id)
    assert causation.of(only) == {"request": "POST /referrals", "correlation_id": "c-9"}


def _two_published(settings: Settings) -> tuple[list[uuid.UUID], list[Any], list[Any]]:
    """Two cases the intake stored, as its outbox publishes them, as a consumer reads them."""
    intake = IntakeApp(settings)
    cases = [uuid.uuid4(), uuid.uuid4()]
    intake.receive([(c, f"CAF-2026-000{i}") for i, c in enumerate(cases)])
    _, pubs = OutboxRelay(intake, CLASSES, translate, FakeProducer(), source="intake").pending(0)
    records = [
        ConsumerRecord(TOPIC, 0, i, 0, 0, p.key, p.value, None, len(p.key), len(p.value), p.headers)
        for i, p in enumerate(pubs)
    ]
    return cases, pubs, records


async def test_each_event_a_consumer_stores_names_the_message_that_caused_it(
    settings: Settings,
) -> None:
    cases, pubs, records = _two_published(settings)
    consumer = TrackedConsumer(
        LedgerApp(settings),
        [on_events(TOPIC, {ReferralReceived: on_received})],
        bootstrap="unused",
        group_id="unit",
        dlq_producer=FakeProducer(),
    )
    await consumer.handle_batch(TopicPartition(TOPIC, 0), records)  # one batch, one commit
    for case_id, pub in zip(cases, pubs, strict=True):
        envelope, _ = decode(pub.headers, pub.value)
        assert envelope is not None
        events = list(consumer.app.events.get(case_id))
        assert [causation.of(e) for e in events] == [
            {"event_id": envelope.id, "type": envelope.type, "source": "/maag/intake"}
        ] * len(events)
        # and the stable id the outbox derives is the one the audit timeline uses
        assert envelope.id == causation.event_id("intake", case_id, 1)


def test_a_request_is_the_cause_of_what_it_stores(settings: Settings) -> None:
    app = LedgerApp(settings)
    api = FastAPI()
    http.install(api, verifier())

    @api.post("/ledgers")
    def create() -> dict[str, str]:
        ledger = Ledger(case_id=uuid.uuid4())
        app.save(ledger)
        return {"id": str(ledger.id)}

    r = TestClient(api).post("/ledgers", headers={**auth(), "X-Correlation-Id": "corr-5"})
    (only,) = app.events.get(uuid.UUID(r.json()["id"]))
    assert causation.of(only) == {"request": "POST /ledgers", "correlation_id": "corr-5"}


async def test_a_consumers_events_are_the_services_own_unless_a_policy_acts_for_someone(
    settings: Settings,
) -> None:
    cases, pubs, records = _two_published(settings)
    someone = {"user_id": "coord-1", "role": "panel-member", "agency": "social-care"}

    def handle(delivery: Any, work: Any) -> None:
        if delivery.message.case_id == cases[1]:
            work.act_as(someone, "their-request")
        on_received(delivery, work)

    consumer = TrackedConsumer(
        LedgerApp(settings),
        [on_events(TOPIC, {ReferralReceived: handle})],
        bootstrap="unused",
        group_id="maag.ledger",
        dlq_producer=FakeProducer(),
        service="ledger",
    )
    await consumer.handle_batch(TopicPartition(TOPIC, 0), records)
    (own,) = list(consumer.app.events.get(cases[0]))[:1]
    envelope, _ = decode(pubs[0].headers, pubs[0].value)
    assert envelope is not None
    assert causation.actor_of(own) is None  # the service's own doing
    assert causation.correlation_of(own) == envelope.correlation_id
    (theirs,) = list(consumer.app.events.get(cases[1]))[:1]
    assert causation.actor_of(theirs) == someone
    assert causation.correlation_of(theirs) == "their-request"


def test_a_commands_events_are_its_callers_and_part_of_its_correlation(
    settings: Settings,
) -> None:
    app = LedgerApp(settings)
    ledger = Ledger(case_id=uuid.uuid4())
    caller = {"user_id": "u-7", "role": "referrer", "agency": "police"}
    with causation.acting(caller, "corr-7"):
        app.save(ledger)
    (only,) = app.events.get(ledger.id)
    assert (causation.actor_of(only), causation.correlation_of(only)) == (caller, "corr-7")
