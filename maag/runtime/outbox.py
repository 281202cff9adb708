"""The outbox relay: the event store's notification log, in order, to Kafka.

New events are committed to the store first (never written to Kafka directly). The relay
reads the notification log after its recorded position, publishes each public event with
the CloudEvents envelope and the case id as key, waits for the broker's acknowledgement
of the whole batch, and only then records the new position. A crash anywhere loses
nothing; at worst the events since the last recorded position are published again, with
the same `ce_id` and `ce_sequence`, and consumers ignore them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import Tracking

from contracts.envelope import Envelope
from contracts.events import IntegrationEvent
from contracts.topics import topic_of
from maag.runtime import causation
from maag.runtime.application import ServiceApplication
from maag.runtime.leadership import Leadership
from maag.runtime.logging import get_logger
from maag.runtime.loops import sleep_or_stop
from maag.runtime.reads import CaseRead

log = get_logger(__name__)

# Events the runtime itself stores in every service (audited reads): never published.
RUNTIME_INTERNAL = (CaseRead.Recorded,)


@dataclass(frozen=True)
class Outbound:
    """What a service publishes for one of its domain events."""

    event: IntegrationEvent
    correlation_id: str
    causation_id: str | None = None


# Domain event -> the integration event it publishes, or None for internal events
# (those that hold personal data, or matter only inside the service).
Translator = Callable[[Any], Outbound | None]


@dataclass(frozen=True)
class Publication:
    position: int
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class OutboxRelay:
    def __init__(
        self,
        app: ServiceApplication,
        translate: Translator,
        producer: AIOKafkaProducer,
        *,
        source: str,
        topic_prefix: str = "",
        batch_size: int = 2000,
        idle_interval: float = 0.05,
        leader_lock_url: str | None = None,
    ) -> None:
        self.app = app
        self.translate = translate
        self.producer = producer
        self.service = source
        self.source = f"/maag/{source}"
        self.prefix = topic_prefix
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.tracking_name = f"outbox:{app.name}"
        # Replicas of a service share its store: only the leader relays.
        self.leadership = Leadership(
            leader_lock_url, f"{self.tracking_name}:{app.env.get('POSTGRES_SCHEMA', '')}"
        )

    # --- synchronous parts, run in a worker thread (eventsourcing is synchronous) ---

    def position(self) -> int:
        return self.app.position(self.tracking_name) or 0

    def pending(self, after: int) -> tuple[int, list[Publication]]:
        """The next batch after `after`: (last position read, publications in log order)."""
        notifications = self.app.notifications(after, self.batch_size)
        publications = []
        last = after
        for n in notifications:
            last = n.id
            domain_event = self.app.mapper.to_domain_event(n)
            if isinstance(domain_event, RUNTIME_INTERNAL):
                continue
            outbound = self.translate(domain_event)
            if outbound is not None:
                cause = causation.of(domain_event) or {}
                publications.append(
                    self._publication(
                        n.id, n.originator_id, n.originator_version, outbound, cause.get("event_id")
                    )
                )
        return last, publications

    def _publication(
        self,
        position: int,
        originator_id: Any,
        version: int,
        out: Outbound,
        cause_id: str | None = None,
    ) -> Publication:
        event = out.event
        envelope = Envelope(
            # Stable across republishing: derived from the stored event, not from the attempt.
            id=causation.event_id(self.service, originator_id, version),
            source=self.source,
            type=event.TYPE,
            time=event.occurred_at,
            subject=event.subject,
            correlation_id=out.correlation_id,
            causation_id=out.causation_id or cause_id,
            actor=event.actor,
            sequence=position,
        )
        return Publication(
            position=position,
            topic=topic_of(type(event)).named(self.prefix),
            key=event.subject.encode(),
            value=event.model_dump_json().encode(),
            headers=envelope.headers(),
        )

    def record(self, position: int) -> None:
        self.app.recorder.insert_tracking(Tracking(self.tracking_name, position))

    # --- the asynchronous loop ---

    async def relay_once(self) -> int:
        """Publish one batch; return how many notifications it advanced over."""
        after = await asyncio.to_thread(self.position)
        last, publications = await asyncio.to_thread(self.pending, after)
        if last == after:
            return 0
        await self.publish(publications)
        await asyncio.to_thread(self.record, last)
        log.debug("relayed", up_to=last, published=len(publications))
        return last - after

    async def publish(self, publications: list[Publication]) -> None:
        # Enqueue the whole batch, then wait for every acknowledgement (acks=all).
        pending = [
            await self.producer.send(p.topic, value=p.value, key=p.key, headers=p.headers)
            for p in publications
        ]
        if pending:
            await asyncio.gather(*pending)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self._run(stop)
        finally:
            self.leadership.release()

    async def _run(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            if not await asyncio.to_thread(self.leadership.holds):
                await sleep_or_stop(stop, 1.0)  # another replica relays
                continue
            try:
                moved = await self.relay_once()
                backoff = 0.2
            except Exception as e:  # broker or store unavailable: retry, never skip
                log.warning("relay retrying", error=repr(e), in_seconds=backoff)
                await sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if not moved:
                await sleep_or_stop(stop, self.idle_interval)
