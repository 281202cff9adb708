"""The consumer's batch logic against a real (SQLite) store, without a broker:
deduplication, rollback of a failing message, transient retries."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from eventsourcing.persistence import IntegrityError, OperationalError

from contracts.topics import REFERRAL_EVENTS
from maag.runtime.messaging.consumer import Delivery, TrackedConsumer, on_events
from maag.runtime.messaging.outbox import OutboxRelay
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from tests.support.pipeline import (
    CLASSES,
    POISON_CAF,
    FakeProducer,
    IntakeApp,
    Ledger,
    LedgerApp,
    histories_read,
    on_received,
    translate,
)

TOPIC = REFERRAL_EVENTS.name
TP = TopicPartition(TOPIC, 0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def _records(settings: Settings, cafs: list[str]) -> list[ConsumerRecord[bytes, bytes]]:
    """Publications from a real outbox, turned into the records a consumer would receive."""
    intake = IntakeApp(settings)
    intake.receive([(uuid.uuid4(), caf) for caf in cafs])
    relay = OutboxRelay(intake, CLASSES, translate, FakeProducer(), source="intake")
    _, pubs = relay.pending(0)
    return [
        ConsumerRecord(TOPIC, 0, i, 0, 0, p.key, p.value, None, len(p.key), len(p.value), p.headers)
        for i, p in enumerate(pubs)
    ]


def _consumer(settings: Settings, handler: Any = on_received) -> TrackedConsumer:
    from contracts.events.referral import ReferralReceived

    return TrackedConsumer(
        LedgerApp(settings),
        [on_events(TOPIC, {ReferralReceived: handler})],
        bootstrap="unused",
        group_id="unit",
        dlq_producer=FakeProducer(),
    )


async def test_a_batch_redelivered_is_passed_over(settings: Settings) -> None:
    records = _records(settings, ["CAF-2026-0001"] * 3)
    consumer = _consumer(settings)
    await consumer.handle_batch(TP, records)
    await consumer.handle_batch(TP, records)  # redelivered after a lost offset commit
    await consumer.handle_batch(TP, [records[1], records[1]])  # republished within a batch
    assert consumer.applied == 3


async def test_a_failing_message_leaves_no_partial_change_and_the_rest_apply(
    settings: Settings,
) -> None:
    records = _records(settings, ["CAF-2026-0001", POISON_CAF, "CAF-2026-0002"])
    case_ids = [uuid.UUID(r.key.decode()) for r in records if r.key]

    def half_applies_then_fails(delivery: Delivery[Any], work: Work) -> None:
        ledger = Ledger(case_id=delivery.message.case_id)
        work.add(ledger)  # a change made before the failure...
        on_received(delivery, work)  # ...which raises Rejected for the poison

    consumer = _consumer(settings, half_applies_then_fails)
    await consumer.handle_batch(TP, records)
    assert consumer.applied == 2
    ledger_app = consumer.app
    assert isinstance(ledger_app, LedgerApp)
    assert len(ledger_app.notes(case_ids[0])) == 1 and len(ledger_app.notes(case_ids[2])) == 1
    with pytest.raises(Exception, match="not found"):
        ledger_app.repository.get(case_ids[1])  # nothing of the poison reached the store
    dlq = consumer.dlq_producer.sent
    assert [(t, dict(h)["dlq_error"]) for t, _, h in dlq] == [
        (TOPIC + ".dlq", b"Rejected: caf_reference is on the test's poison list")
    ]


async def test_a_clean_batch_is_applied_in_one_trip_to_a_worker_thread_and_a_dead_letter_first(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips: list[str] = []
    to_thread = asyncio.to_thread

    async def counted(fn: Any, *args: Any) -> Any:
        trips.append(fn.__name__)
        return await to_thread(fn, *args)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    records = _records(settings, ["CAF-2026-0001", "CAF-2026-0002", "CAF-2026-0003", POISON_CAF])
    consumer = _consumer(settings)
    await consumer.handle_batch(TP, records[:2])
    assert trips == ["_apply"] and consumer.applied == 2

    # a batch with a message to dead-letter: the dead letter is sent before the position
    # moves past it (never lost), so its commit waits for the producer
    trips.clear()
    sent_at_commit: list[int] = []
    commit = consumer.commit

    def noting(outcome: Any) -> None:
        sent_at_commit.append(len(consumer.dlq_producer.sent))
        commit(outcome)

    monkeypatch.setattr(consumer, "commit", noting)
    await consumer.handle_batch(TP, records[2:])
    assert trips == ["_apply", "noting"] and sent_at_commit == [1] and consumer.applied == 3


@pytest.mark.parametrize("handled", [False, True], ids=["no handler", "a handler"])
async def test_the_store_is_read_and_written_for_a_batch_only_when_a_handler_takes_from_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, handled: bool
) -> None:
    from contracts.events.referral import ReferralAccepted, ReferralReceived

    records = _records(settings, ["CAF-2026-0001", "CAF-2026-0002"])
    cases = [uuid.UUID(r.key.decode()) for r in records if r.key]
    app = LedgerApp(settings)
    read = histories_read(app, monkeypatch)
    taken = ReferralReceived if handled else ReferralAccepted
    consumer = TrackedConsumer(
        app,
        [on_events(TOPIC, {taken: on_received}, prefetch=lambda d: [d.message.case_id])],
        bootstrap="unused",
        group_id="unit",
        dlq_producer=FakeProducer(),
    )
    store: list[str] = []
    for step in ("positions", "position", "record"):
        real = getattr(app, step)
        monkeypatch.setattr(app, step, _noting(store, step, real))
    await consumer.handle_batch(TP, records)
    assert read == ([set(cases)] if handled else [])
    assert consumer.applied == 2
    # another service's events: no position read or moved, no transaction
    assert store == (["positions", "record"] if handled else [])


def _noting(calls: list[str], name: str, fn: Any) -> Any:
    def noted(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return fn(*args, **kwargs)

    return noted


REFUSED = psycopg.OperationalError("connection refused")


@pytest.mark.parametrize(
    "outage",
    [
        [OperationalError("connection refused"), OperationalError("still down")],
        # through SQLAlchemy (a read model, a keyring, the child index): it was dead-lettered
        # as if the message were at fault
        [
            sqlalchemy.exc.OperationalError("SELECT 1", {}, REFUSED),
            sqlalchemy.exc.InterfaceError("SELECT 1", {}, REFUSED),
        ],
    ],
    ids=["eventsourcing", "sqlalchemy"],
)
async def test_a_transient_failure_is_retried_and_never_dead_lettered(
    settings: Settings, outage: list[Exception]
) -> None:
    records = _records(settings, ["CAF-2026-0001"])
    failures = iter(outage)

    def flaky(delivery: Delivery[Any], work: Work) -> None:
        if (error := next(failures, None)) is not None:
            raise error
        on_received(delivery, work)

    consumer = _consumer(settings, flaky)
    await consumer.handle_batch(TP, records)
    assert consumer.applied == 1
    assert consumer.dlq_producer.sent == []


async def test_a_record_whose_signing_key_cannot_be_fetched_now_is_retried_not_refused(
    settings: Settings,
) -> None:
    """The identity provider is away: the record may be valid, so it waits, as for a store
    outage, and is applied once the key can be checked."""
    from maag.runtime.messaging.consumer import decode_event
    from maag.runtime.web.auth import ProviderUnavailable

    records = _records(settings, ["CAF-2026-0001"])
    outages = iter([ProviderUnavailable("keys cannot be fetched", retry_after=1)])

    def checking(headers: Any, value: bytes | None) -> Any:
        if (error := next(outages, None)) is not None:
            raise error
        return decode_event(headers, value)

    consumer = _consumer(settings)
    consumer.subscriptions[TOPIC] = replace(consumer.subscriptions[TOPIC], decoder=checking)
    await consumer.handle_batch(TP, records)
    assert consumer.applied == 1
    assert consumer.dlq_producer.sent == []


async def test_a_record_without_a_sequence_is_dead_lettered(settings: Settings) -> None:
    record = _records(settings, ["CAF-2026-0001"])[0]
    headers = [(k, v) for k, v in record.headers if k != "ce_sequence"]
    bare = ConsumerRecord(TOPIC, 0, 0, 0, 0, record.key, record.value, None, 0, 0, headers)
    consumer = _consumer(settings)
    await consumer.handle_batch(TP, [bare])
    assert consumer.applied == 0
    sent = consumer.dlq_producer.sent
    assert dict(sent[0][2])["dlq_error"] == b"EnvelopeError: header ce_sequence: missing"


async def test_a_dead_letter_keeps_no_credential_and_names_what_it_took_out(
    settings: Settings,
) -> None:
    record = _records(settings, ["CAF-2026-0001"])[0]
    secrets = [
        ("authorization", b"Bearer eyJhbGciOi.live.token"),
        ("Cookie", b"session=abc"),
        ("x-api-key", b"k-123"),
        ("x-forwarded", b"Basic dXNlcjpwYXNz"),  # a credential under an innocent name
    ]
    headers = [(k, v) for k, v in record.headers if k != "ce_sequence"] + secrets
    bare = ConsumerRecord(TOPIC, 0, 0, 0, 0, record.key, record.value, None, 0, 0, headers)
    consumer = _consumer(settings)
    await consumer.handle_batch(TP, [bare])
    ((_, value, sent_headers),) = consumer.dlq_producer.sent
    sent = dict(sent_headers)
    for name, secret in secrets:
        assert name not in sent
        assert all(secret not in v for v in sent.values())
    assert sent["dlq_removed_headers"] == b"Cookie,authorization,x-api-key,x-forwarded"
    assert value == record.value and sent["ce_type"] == dict(record.headers)["ce_type"]


async def test_a_record_over_the_topic_limit_is_dead_lettered_unread_without_its_value(
    settings: Settings,
) -> None:
    record = _records(settings, ["CAF-2026-0001"])[0]
    huge = b" " * (REFERRAL_EVENTS.max_message_bytes + 1)
    big = ConsumerRecord(TOPIC, 0, 0, 0, 0, record.key, huge, None, 0, 0, record.headers)

    def never(delivery: Delivery[Any], work: Work) -> None:
        raise AssertionError("an oversized record must not be parsed or handled")

    consumer = _consumer(settings, never)
    await consumer.handle_batch(TP, [big])
    ((_, value, sent_headers),) = consumer.dlq_producer.sent
    sent = dict(sent_headers)
    assert value is None
    assert sent["dlq_value_bytes"] == str(len(huge)).encode()
    assert sent["dlq_error"].startswith(b"TooLarge: ")
    assert consumer.applied == 0


async def test_an_oversized_record_whose_headers_are_the_bulk_leaves_them_behind(
    settings: Settings,
) -> None:
    record = _records(settings, ["CAF-2026-0001"])[0]
    padding = [("x-padding", b"p" * (REFERRAL_EVENTS.max_message_bytes + 1))]
    big = ConsumerRecord(
        TOPIC, 0, 0, 0, 0, record.key, record.value, None, 0, 0, record.headers + padding
    )
    consumer = _consumer(settings)
    await consumer.handle_batch(TP, [big])
    ((_, value, sent_headers),) = consumer.dlq_producer.sent
    size = sum(len(k) + len(v) for k, v in sent_headers)
    assert value is None and size < 4096, "the dead letter fits its topic"
    assert b"x-padding" in dict(sent_headers)["dlq_removed_headers"]


async def test_a_retry_during_a_store_outage_stops_promptly_on_shutdown(
    settings: Settings,
) -> None:
    records = _records(settings, ["CAF-2026-0001"])
    failed = asyncio.Event()

    def down(delivery: Delivery[Any], work: Work) -> None:
        failed.set()
        raise OperationalError("connection refused")

    consumer = _consumer(settings, down)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.handle_batch(TP, records, stop))
    await asyncio.wait_for(failed.wait(), timeout=5)  # it is retrying
    stop.set()
    assert await asyncio.wait_for(task, timeout=1) is False
    assert consumer.applied == 0 and consumer.dlq_producer.sent == []


async def test_a_conflict_retry_backs_off_instead_of_spinning(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every commit conflicts (IntegrityError): each retry waits, and longer each time."""
    from maag.runtime.messaging import consumer as consumer_module

    records = _records(settings, ["CAF-2026-0001"])
    consumer = _consumer(settings)
    stop = asyncio.Event()
    waits: list[float] = []

    def conflicting(outcome: Any) -> None:
        raise IntegrityError("another member recorded it first")

    async def pause(event: asyncio.Event, seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 5:
            stop.set()

    consumer.commit = conflicting  # type: ignore[method-assign]
    monkeypatch.setattr(consumer_module, "sleep_or_stop", pause)
    assert await asyncio.wait_for(consumer.handle_batch(TP, records, stop), timeout=5) is False
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.8]
