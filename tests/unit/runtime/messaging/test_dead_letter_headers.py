"""A dead letter carries only the headers known to hold no credential (an allowlist):
whatever else a sender put on the record, under any name, stays behind and is named."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from contracts.envelope import Envelope
from contracts.events import Actor
from contracts.events.referral import ReferralReceived
from contracts.reference import Role
from contracts.topics import REFERRAL_EVENTS
from maag.runtime.messaging.consumer import KNOWN_HEADERS, TrackedConsumer, on_events
from maag.runtime.messaging.outbox import OutboxRelay
from maag.runtime.settings import Settings
from tests.support.pipeline import (
    CLASSES,
    FakeProducer,
    IntakeApp,
    LedgerApp,
    on_received,
    translate,
)

TOPIC = REFERRAL_EVENTS.name
TP = TopicPartition(TOPIC, 0)

# Credentials under names no denylist of "token", "secret", "password" ... catches, one it
# does, and a header nobody has heard of: none of them may reach a dead letter.
STRANGERS = [
    ("x-jwt", b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VuY3kifQ.c2lnbmF0dXJl"),
    ("x-client-key", b"ck-5f2a9e0c1d"),
    ("X-Api-Token", b"at-77e1b3"),
    ("x-agency-trace", b"trace-0042"),
]


def _dead_letter(tmp_path: Path, extra: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """The headers of the dead letter of a real outbox record (its `ce_sequence` dropped, so
    the consumer refuses it) with `extra` headers added."""
    settings = Settings(data_dir=tmp_path)
    intake = IntakeApp(settings)
    intake.receive([(uuid.uuid4(), "CAF-2026-0001")])
    _, (p,) = OutboxRelay(intake, CLASSES, translate, FakeProducer(), source="intake").pending(0)
    headers = [(k, v) for k, v in p.headers if k != "ce_sequence"] + extra
    record = ConsumerRecord(TOPIC, 0, 0, 0, 0, p.key, p.value, None, 0, 0, headers)
    consumer = TrackedConsumer(
        LedgerApp(settings),
        [on_events(TOPIC, {ReferralReceived: on_received})],
        bootstrap="unused",
        group_id="unit",
        dlq_producer=FakeProducer(),
    )
    asyncio.run(consumer.handle_batch(TP, [record]))
    ((_, _, sent),) = consumer.dlq_producer.sent
    return dict(sent)


def test_unknown_headers_never_reach_a_dead_letter_and_known_ones_do(tmp_path: Path) -> None:
    sent = _dead_letter(tmp_path, STRANGERS)
    for name, value in STRANGERS:
        assert name not in sent, name
        assert all(value not in v for v in sent.values()), name
    assert sent["dlq_removed_headers"] == b"X-Api-Token,x-agency-trace,x-client-key,x-jwt"
    # the envelope the project writes travels whole: the operator can still tell what it was
    for known in (
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "ce_correlationid",
        "ce_actoruserid",
        "ce_actorrole",
        "ce_actoragency",
        "content-type",
        "correlation_id",
    ):
        assert known in sent, known


def test_a_credential_under_a_known_name_stays_behind_even_where_an_error_quotes_it(
    tmp_path: Path,
) -> None:
    sent = _dead_letter(tmp_path, [("ce_subject", b"Bearer eyJhbGciOi.live.token")])
    # the envelope's error quotes the header it refused; the dead letter does not
    assert sent["dlq_error"].startswith(b"EnvelopeError: header ce_subject: '(removed)'")
    assert all(b"eyJhbGciOi" not in v for v in sent.values())


@pytest.mark.parametrize("optional", [False, True])
def test_every_header_the_envelope_writes_is_known(optional: bool) -> None:
    envelope = Envelope(
        id="e",
        source="/maag/referral",
        type=ReferralReceived.TYPE,
        time=datetime(2026, 1, 1, tzinfo=UTC),
        subject=str(uuid.uuid4()),
        correlation_id="c",
        causation_id="cause" if optional else None,
        actor=Actor(user_id="u", role=Role.SYSTEM, agency="maag"),
        sequence=1 if optional else None,
        incarnation=1 if optional else None,
    )
    assert {k for k, _ in envelope.headers()} <= KNOWN_HEADERS
