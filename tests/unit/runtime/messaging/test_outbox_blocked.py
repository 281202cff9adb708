"""An event the outbox can never publish stops the relay loudly at that event: nothing after
it is published out of order, the metric and readiness say so, and it is not retried."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError
from eventsourcing.persistence import StoredEvent

from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import OutboxRelay
from maag.runtime.service import readiness
from maag.runtime.settings import Settings
from maag.runtime.web import metrics
from tests.support.pipeline import (
    CLASSES,
    POISON_CAF,
    FakeProducer,
    IntakeApp,
    run_until_blocked,
    translate,
)


class RefusingProducer(FakeProducer):
    """Refuses one record as too large, as aiokafka does before sending."""

    async def send(
        self, topic: str, value: bytes | None = None, key: Any = None, headers: Any = ()
    ) -> Any:
        if value is not None and POISON_CAF.encode() in value:
            raise MessageSizeTooLargeError("The message is 2000000 bytes when serialized")
        return await super().send(topic, value, key, headers)


class BrokerKnown:
    """A producer as readiness sees it: one that knows a broker."""

    class client:
        class cluster:
            @staticmethod
            def brokers() -> list[int]:
                return [1]


def _blocked_value(service: str) -> float:
    return float(metrics.OUTBOX_BLOCKED.labels(service)._value.get())


async def test_an_event_that_does_not_translate_blocks_the_relay_there(tmp_path: Path) -> None:
    app = IntakeApp(Settings(data_dir=tmp_path))
    app.receive([(uuid.uuid4(), "CAF-2026-0001")])
    app.receive([(uuid.uuid4(), POISON_CAF)])
    app.receive([(uuid.uuid4(), "CAF-2026-0002")])
    calls = 0

    def failing(domain_event: Any) -> Any:
        nonlocal calls
        calls += 1
        if getattr(domain_event, "caf_reference", None) == POISON_CAF:
            raise ValueError("1 validation error for ReferralReceived")
        return translate(domain_event)

    producer = FakeProducer()
    relay = OutboxRelay(app, CLASSES, failing, producer, source="blocked-a", batch_size=1)
    await run_until_blocked(relay)
    assert relay.blocked is not None and "does not translate" in relay.blocked.reason
    assert [v for _, v, _ in producer.sent if v and b"CAF-2026-0002" in v] == []
    assert len(producer.sent) == 1, "only what came before it"
    assert calls == 2, "not retried"
    assert _blocked_value("blocked-a") == 1
    assert readiness(app, BrokerKnown(), relay)()["outbox"] is False


async def test_a_record_the_producer_refuses_as_too_large_blocks_the_relay(tmp_path: Path) -> None:
    app = IntakeApp(Settings(data_dir=tmp_path))
    app.receive([(uuid.uuid4(), POISON_CAF)])
    producer = RefusingProducer()
    relay = OutboxRelay(app, CLASSES, translate, producer, source="blocked-b")
    await run_until_blocked(relay)
    assert relay.blocked is not None and "refused" in relay.blocked.reason
    assert relay.position() == 0, "its position did not move past it"
    assert _blocked_value("blocked-b") == 1


async def _blocked_by_a_class_nobody_decided(tmp_path: Path, source: str, caf: str) -> IntakeApp:
    """A store holding one referral, whose relay (classifying nothing) has stopped at it."""
    app = IntakeApp(Settings(data_dir=tmp_path))
    app.receive([(uuid.uuid4(), caf)])
    relay = OutboxRelay(app, EventClasses((), ()), translate, FakeProducer(), source=source)
    await run_until_blocked(relay)
    assert relay.blocked is not None and relay.position() == 0
    assert "Intake.Received is neither published nor internal" in relay.blocked.reason
    return app


async def test_an_event_of_a_class_nobody_classified_blocks_the_relay_naming_it(
    tmp_path: Path,
) -> None:
    await _blocked_by_a_class_nobody_decided(tmp_path, "blocked-c", "CAF-2026-0003")


async def test_a_fixed_release_restarted_publishes_the_blocked_event_and_what_followed(
    tmp_path: Path,
) -> None:
    """What the operator's guide says releases a blocked relay: a restart with the fix."""
    app = await _blocked_by_a_class_nobody_decided(tmp_path, "blocked-d", "CAF-2026-0006")
    app.receive([(uuid.uuid4(), "CAF-2026-0007")])  # stored meanwhile
    producer = FakeProducer()
    fixed = OutboxRelay(app, CLASSES, translate, producer, source="blocked-d")
    assert await fixed.relay_once() == 2
    sent = [v for _, v, _ in producer.sent if v]
    assert [b"CAF-2026-0006" in sent[0], b"CAF-2026-0007" in sent[1]] == [True, True]
    assert fixed.position() == 2


async def test_a_stored_event_that_cannot_be_read_back_blocks_the_relay_naming_it(
    tmp_path: Path,
) -> None:
    """It was retried for ever with a warning, readiness green and no alert."""
    app = IntakeApp(Settings(data_dir=tmp_path))
    app.receive([(uuid.uuid4(), "CAF-2026-0008")])
    gone = StoredEvent(uuid.uuid4(), 1, "tests.gone:Vanished", b"{}")
    app.recorder.insert_events([gone])
    producer = FakeProducer()
    relay = OutboxRelay(app, CLASSES, translate, producer, source="blocked-e", batch_size=1)
    await run_until_blocked(relay)
    assert relay.blocked is not None and relay.blocked.position == 2
    assert "tests.gone:Vanished does not decode" in relay.blocked.reason
    assert len(producer.sent) == 1 and relay.position() == 1  # what came before it, only
    assert _blocked_value("blocked-e") == 1
