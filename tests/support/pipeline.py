"""A two-application pipeline for testing the runtime: an intake that publishes
`ReferralReceived` through the outbox, and a ledger that consumes it and notes each
event it applied. Exactly-once shows as each event id noted once.

`tests.support.run_pipeline` runs either half as a process, so tests can kill it.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, event

from contracts.events import Actor
from contracts.events.referral import ReferralReceived
from contracts.reference import Agency, District, LevelOfNeed, Role
from contracts.topics import REFERRAL_EVENTS
from maag.runtime.follow.follower import Wakeup
from maag.runtime.messaging import broker as messaging
from maag.runtime.messaging.broker import EventPublisher
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.consumer import Delivery, Rejected, TrackedConsumer, on_events
from maag.runtime.messaging.outbox import Outbound, OutboxRelay
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Work

ACTOR = Actor(user_id="u-1", role=Role.REFERRER, agency="education")
POISON_CAF = "CAF-2026-9999"


class Intake(Aggregate):
    class Received(Aggregate.Created):
        case_id: UUID
        caf_reference: str
        district: str

    @event(Received)
    def __init__(self, case_id: UUID, caf_reference: str, district: str) -> None:
        self.caf_reference = caf_reference
        self.district = district

    @staticmethod
    def create_id(case_id: UUID, **_: Any) -> UUID:
        return case_id


class IntakeApp(ServiceApplication):
    name = "intake"

    def receive(self, cases: list[tuple[UUID, str]]) -> None:
        self.save(*(Intake(case_id=c, caf_reference=caf, district="harlow") for c, caf in cases))


CLASSES = EventClasses(published=(Intake.Received,), internal=())


def translate(domain_event: Any) -> Outbound | None:
    if isinstance(domain_event, Intake.Received):
        return Outbound(
            ReferralReceived(
                case_id=domain_event.originator_id,
                occurred_at=domain_event.timestamp,
                actor=ACTOR,
                caf_reference=domain_event.caf_reference,
                referring_agency=Agency.EDUCATION,
                referring_professional_id="p-1",
                district=District(domain_event.district),
                needs=["learning"],
                agencies_requested=[Agency.EDUCATION, Agency.CAMHS],
                level_of_need=LevelOfNeed.ADDITIONAL,
                significant_harm_concern=False,
                transition=False,
            ),
            correlation_id=f"corr-{domain_event.originator_id}",
        )
    return None


class Ledger(Aggregate):
    @event("Opened")
    def __init__(self, case_id: UUID) -> None:
        self.notes: list[str] = []

    @staticmethod
    def create_id(case_id: UUID) -> UUID:
        return case_id

    @event("Noted")
    def note(self, event_id: str) -> None:
        self.notes.append(event_id)


class LedgerApp(ServiceApplication):
    name = "ledger"

    def notes(self, case_id: UUID) -> list[str]:
        ledger: Aggregate = self.repository.get(case_id)
        assert isinstance(ledger, Ledger)
        return ledger.notes


def on_received(delivery: Delivery[ReferralReceived], work: Work) -> None:
    if delivery.message.caf_reference == POISON_CAF:
        raise Rejected("caf_reference is on the test's poison list")
    case_id = delivery.message.case_id
    ledger: Aggregate = work.find(case_id) or Ledger(case_id=case_id)
    assert isinstance(ledger, Ledger) and delivery.envelope is not None
    ledger.note(delivery.envelope.id)
    work.add(ledger)


def intake_publisher(settings: Settings) -> EventPublisher:
    """The test intake's FastStream publisher of referral events (start it before use)."""
    kafka = messaging.broker(settings.kafka_bootstrap, "test-intake")
    return EventPublisher(kafka, "intake", settings.topic_prefix, [REFERRAL_EVENTS])


def make_relay(settings: Settings, publisher: EventPublisher) -> OutboxRelay:
    app = IntakeApp(settings)
    return OutboxRelay(
        app,
        CLASSES,
        translate,
        publisher,
        source="intake",
        topic_prefix=settings.topic_prefix,
        wakeup=Wakeup.of(app, settings.postgres_url),
    )


def make_consumer(
    settings: Settings, producer: Any, group: str, session_timeout_ms: int = 10_000
) -> TrackedConsumer:
    topic = REFERRAL_EVENTS.named(settings.topic_prefix)
    return TrackedConsumer(
        LedgerApp(settings),
        [on_events(topic, {ReferralReceived: on_received}, prefetch=lambda d: [d.message.case_id])],
        bootstrap=settings.kafka_bootstrap,
        group_id=group,
        dlq_producer=producer,
        session_timeout_ms=session_timeout_ms,
    )


class FakeProducer:
    """Stands in for Kafka in these unit tests: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, list[tuple[str, bytes]]]] = []

    async def send(
        self, topic: str, value: bytes | None = None, key: Any = None, headers: Any = ()
    ) -> Any:
        self.sent.append((topic, value, list(headers)))
        future: Any = __import__("asyncio").get_running_loop().create_future()
        future.set_result(None)
        return future


async def run_until_blocked(relay: OutboxRelay) -> asyncio.Task[None]:
    """Run the relay until it blocks (it must, and must keep waiting), then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    for _ in range(500):
        if relay.blocked is not None or task.done():
            break
        await asyncio.sleep(0.01)
    assert relay.blocked is not None
    assert not task.done(), "the relay waits for the operator, it does not end the service"
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    return task


def histories_read(app: ServiceApplication, monkeypatch: pytest.MonkeyPatch) -> list[set[UUID]]:
    """The ids of each batched read of `app`'s store (`histories`) from now on, in order."""
    asked: list[set[UUID]] = []
    histories = app.histories

    def noted(ids: Any) -> Any:
        asked.append(set(ids))
        return histories(ids)

    monkeypatch.setattr(app, "histories", noted)
    return asked
