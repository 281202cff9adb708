"""The outbox relay: the event store's notification log, in order, to Kafka.

New events are committed to the store first (never written to Kafka directly). The relay
reads the notification log after its recorded position, publishes each public event with
the CloudEvents envelope and the case id as key, waits for the broker's acknowledgement
of the whole batch (with any audience's own copy of an event, on its own topic: an agency's
outcomes), and only then records the new position. A crash anywhere loses
nothing; at worst the events since the last recorded position are published again, with
the same `ce_id` and `ce_sequence`, and consumers ignore them.

An event that can never be published (its integration event fails its contract, or it is
over its topic's size limit) must not be skipped, since consumers would miss it, nor
retried for ever in silence: the relay stops at it, logs it as critical, sets the
`maag_outbox_blocked` metric and fails the service's readiness until an operator acts.
The limits make this unreachable from valid commands (tests/unit/contracts/test_limits.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from aiokafka.errors import MessageSizeTooLargeError
from eventsourcing.persistence import Tracking

from contracts.envelope import Envelope
from contracts.events import Actor, IntegrationEvent
from contracts.topics import TopicSpec, max_message_bytes, topic_of
from maag.runtime import causation
from maag.runtime.follow.follower import Follower, Wakeup
from maag.runtime.follow.leadership import Leadership
from maag.runtime.logging import get_logger
from maag.runtime.messaging.broker import CORRELATION_HEADER
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.kafka import record_size
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.incarnation import Start, epoch_of
from maag.runtime.web import metrics

log = get_logger(__name__)


class Sender(Protocol):
    """Where the relay publishes (a `maag.runtime.messaging.broker.EventPublisher`): `send`
    enqueues a record and returns the future of the broker's acknowledgement."""

    async def send(
        self, topic: str, *, value: bytes, key: bytes, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]: ...


@dataclass(frozen=True)
class Told:
    """The form of an event one audience reads on a topic of its own (an agency's outcomes):
    `event` as that audience may see it, on `topic` rather than the event's own."""

    topic: TopicSpec
    event: IntegrationEvent


@dataclass(frozen=True)
class Outbound:
    """What a service publishes for one of its domain events: the event on its topic, and
    any audience's own copy (`told`), in the same batch, with the same `ce_id`."""

    event: IntegrationEvent
    correlation_id: str
    causation_id: str | None = None
    told: tuple[Told, ...] = ()


def published_actor(domain_event: Any, service: Actor) -> Actor:
    """Who a published event says acted: the actor the runtime gave the stored event, or,
    where it has none (what the service did on its own), the service itself."""
    found = causation.actor_of(domain_event)
    return Actor.model_validate(found) if found else service


# A published domain event -> the integration event it publishes, or None where this one
# event of a published class is not anyone else's business (a rejected match). Which classes
# are published at all is the service's `EventClasses`.
Translator = Callable[[Any], Outbound | None]


@runtime_checkable
class Prepares(Protocol):
    """A translator that reads the store for what it publishes: it is given each batch's
    events before it translates them, to read for them all at once (a query per event
    was most of a relay's time)."""

    def prepare(self, domain_events: Sequence[Any]) -> None: ...


def outbound(classes: EventClasses, translate: Translator, domain_event: Any) -> Outbound | None:
    """What the relay publishes for one stored event: nothing for an internal one, and
    `Unclassified` for one whose class the service never decided on."""
    return translate(domain_event) if classes.publishes(domain_event) else None


@dataclass(frozen=True)
class Publication:
    position: int
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def size(self) -> int:
        return record_size(self.key, self.value, self.headers)


class OutboxBlocked(Exception):
    """An event at `position` that can never be published; the relay stops there."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"event at position {position}: {reason}")
        self.position = position
        self.reason = reason


class OutboxRelay:
    def __init__(
        self,
        app: ServiceApplication,
        classes: EventClasses,
        translate: Translator,
        producer: Sender,
        *,
        source: str,
        topic_prefix: str = "",
        batch_size: int = 2000,
        leader_lock_url: str | None = None,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.app = app
        self.classes = classes
        self.translate = translate
        self.producer = producer
        self.service = source
        self.source = f"/maag/{source}"
        self.prefix = topic_prefix
        self.batch_size = batch_size
        self.wakeup = wakeup or Wakeup(None, None)
        self.tracking_name = f"outbox:{app.name}"
        # Replicas of a service share its store: only the leader relays.
        self.leadership = Leadership(
            leader_lock_url, f"{self.tracking_name}:{app.env.get('POSTGRES_SCHEMA', '')}"
        )
        self.blocked: OutboxBlocked | None = None
        # The store's incarnations (maag.runtime.store.incarnation), set when the service starts.
        self.incarnations: list[Start] = []

    # --- synchronous parts, run in a worker thread (eventsourcing is synchronous) ---

    def position(self) -> int:
        return self.app.position(self.tracking_name) or 0

    def pending(self, after: int) -> tuple[int, list[Publication]]:
        """The next batch after `after`: (last position read, publications in log order)."""
        notifications = self.app.notifications(after, self.batch_size)
        publications = []
        last = after
        decoded: list[tuple[Any, Any]] = []
        undecoded: OutboxBlocked | None = None
        for n in notifications:
            try:  # a stored event that cannot be read back is as stuck as one that translates to nothing
                decoded.append((n, self.app.mapper.to_domain_event(n)))
            except Exception as e:
                undecoded = OutboxBlocked(n.id, f"{n.topic} does not decode: {e!r}")
                undecoded.__cause__ = e
                break  # raised once those before it are translated (they may block first)
        if isinstance(self.translate, Prepares):
            published = [e for _, e in decoded if isinstance(e, self.classes.published)]
            try:
                self.translate.prepare(published)
            except Exception as e:  # only a shortcut: each event is translated as it would be
                log.warning("relay could not prepare its batch", error=repr(e))
        for n, domain_event in decoded:
            last = n.id
            try:
                out = outbound(self.classes, self.translate, domain_event)
                if out is None:
                    continue
                cause = causation.of(domain_event) or {}
                made = [
                    self._publication(
                        n.id, n.originator_id, n.originator_version, out, cause.get("event_id")
                    ),
                    *(
                        self._publication(
                            n.id,
                            n.originator_id,
                            n.originator_version,
                            replace(out, event=told.event),
                            cause.get("event_id"),
                            told.topic,
                        )
                        for told in out.told
                    ),
                ]
            except Exception as e:  # the stored event cannot become its published form
                raise OutboxBlocked(
                    n.id, f"{type(domain_event).__qualname__} does not translate: {e!r}"
                ) from e
            for publication in made:
                limit = max_message_bytes(publication.topic)
                if publication.size > limit:
                    raise OutboxBlocked(
                        n.id,
                        f"{publication.size} bytes, over {publication.topic}'s limit of {limit}",
                    )
            publications += made
        if undecoded is not None:
            raise undecoded
        return last, publications

    def _publication(
        self,
        position: int,
        originator_id: Any,
        version: int,
        out: Outbound,
        cause_id: str | None = None,
        topic: TopicSpec | None = None,
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
            incarnation=epoch_of(self.incarnations, position),
        )
        return Publication(
            position=position,
            topic=(topic or topic_of(type(event))).named(self.prefix),
            key=event.subject.encode(),
            value=event.model_dump_json().encode(),
            # FastStream adds its correlation id header: the same id, weighed here too.
            headers=[*envelope.headers(), (CORRELATION_HEADER, out.correlation_id.encode())],
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
        head = await asyncio.to_thread(self.app.recorder.max_notification_id)
        metrics.STORE_LAG.labels(self.service, "relay").set(max(0, (head or 0) - last))
        return last - after

    async def publish(self, publications: list[Publication]) -> None:
        # Enqueue the whole batch, then wait for every acknowledgement (acks=all).
        pending = []
        for p in publications:
            try:
                pending.append(
                    await self.producer.send(p.topic, value=p.value, key=p.key, headers=p.headers)
                )
            except MessageSizeTooLargeError as e:
                raise OutboxBlocked(p.position, f"the producer refused it: {e!r}") from e
        if pending:
            await asyncio.gather(*pending)

    async def run(self, stop: asyncio.Event) -> None:
        metrics.OUTBOX_BLOCKED.labels(self.service).set(0)
        follower = Follower(
            "relay",
            self.relay_once,
            self.wakeup,
            leadership=self.leadership,
            fatal=(OutboxBlocked,),
            batch=self.batch_size,
        )
        try:
            await follower.run(stop)
        except OutboxBlocked as blocked:
            self.blocked = blocked
            metrics.OUTBOX_BLOCKED.labels(self.service).set(1)
            log.critical(
                "outbox blocked: an event cannot be published; nothing after it will be "
                "until an operator acts",
                service=self.service,
                position=blocked.position,
                reason=blocked.reason,
            )
            await stop.wait()
