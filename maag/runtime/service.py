"""Runs a service: its HTTP API (uvicorn) beside its background loops, stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import io
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, Self, TypeVar

import uvicorn
from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import MapperDeserialisationError
from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from maag.runtime.collector import set_aside_what_was_built
from maag.runtime.evidence import audit_api
from maag.runtime.evidence.anchors import Anchorer
from maag.runtime.evidence.case_history import CaseHistory
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.evidence.store_check import StoreCheck
from maag.runtime.follow.follower import Wakeup
from maag.runtime.follow.projection import Project, Projector, read_model_engine
from maag.runtime.logging import configure, get_logger
from maag.runtime.messaging import broker as messaging
from maag.runtime.messaging import kafka
from maag.runtime.messaging.broker import EventPublisher
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.consumer import Subscription, TrackedConsumer
from maag.runtime.messaging.outbox import OutboxRelay, Translator
from maag.runtime.settings import Settings
from maag.runtime.spec import ServiceSpec
from maag.runtime.store import consistency, incarnation
from maag.runtime.store.application import ServiceApplication
from maag.runtime.web import http
from maag.runtime.web.auth import TokenVerifier

log = get_logger(__name__)

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after serving, killing the process before the background
    loops and the producer stop; signals are handled by `run_service` instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_service(name: str, api: FastAPI, loops: Sequence[Loop], settings: Settings) -> None:
    set_aside_what_was_built()
    stop = asyncio.Event()
    server = _Server(
        uvicorn.Config(
            api,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_keep_alive=http.SERVER_KEEP_ALIVE_SECONDS,
        )
    )
    tasks = [
        asyncio.create_task(loop(stop), name=loop_name(loop, i)) for i, loop in enumerate(loops)
    ]
    log.info("service started", service=name, http=f"{settings.http_host}:{settings.http_port}")
    failed: list[str] = []

    async def watch() -> None:
        # A background loop that dies (raises, or returns before the service stops) takes the
        # service down with a non-zero exit: better restarted than half-alive and silent.
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            return
        for task in done:
            error = task.exception()
            failed.append(f"{task.get_name()}: {error!r}" if error else f"{task.get_name()}: ended")
            log.error(
                "background loop failed",
                service=name,
                loop=task.get_name(),
                error=repr(error) if error else "returned while the service was running",
            )
        server.should_exit = True

    watcher = asyncio.create_task(watch())

    def exit_gracefully() -> None:
        server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, exit_gracefully)
    try:
        await server.serve()  # returns when should_exit is set
    finally:
        stop.set()
        watcher.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        log.info("service stopped", service=name)
    if failed:
        raise SystemExit(f"{name}: background loop failed ({'; '.join(failed)})")


def loop_name(loop: Loop, index: int) -> str:
    """'OutboxRelay.run' for a bound method: what an operator reads in the log."""
    name = getattr(loop, "__qualname__", None) or f"loop-{index}"
    return str(name).rsplit("<locals>.", 1)[-1]


class Built(Protocol):
    """What a service's `build(settings)` returns."""

    api: FastAPI

    @property
    def loops(self) -> Sequence[Loop]: ...

    async def start(self) -> None:
        """Connect its Kafka clients (before the loops run)."""

    async def stop(self) -> None:
        """Disconnect them (after the loops end)."""


def readiness(
    app: ServiceApplication, producer: AIOKafkaProducer, relay: OutboxRelay | None = None
) -> Callable[[], dict[str, bool]]:
    """/readyz: the store answers, the producer knows a broker, the outbox is not blocked."""

    def ready() -> dict[str, bool]:
        try:
            app.position("readyz")
            store = True
        except Exception:
            store = False
        checks = {"store": store, "broker": bool(producer.client.cluster.brokers())}
        if relay is not None:
            checks["outbox"] = relay.blocked is None
        return checks

    return ready


def run(spec: ServiceSpec, settings: Settings, build: Callable[[Settings], Built]) -> None:
    """A service's process: `serve` until SIGTERM. (uvloop and httptools were tried here:
    bench.e2e and bench.referral showed no gain on this machine, within their noise.)"""
    asyncio.run(serve(spec, settings, build))


async def serve(spec: ServiceSpec, settings: Settings, build: Callable[[Settings], Built]) -> None:
    """Logging, the registry's topics, the service, its producer; until SIGTERM."""
    name = spec.name
    configure(settings.log_format)
    # `kill -USR1 <pid>` prints every thread's stack to stderr: what a stuck service is doing.
    with contextlib.suppress(io.UnsupportedOperation, AttributeError, ValueError):
        faulthandler.register(signal.SIGUSR1, all_threads=True)  # stderr without a file
        # descriptor (a captured test run) has nowhere to write them
    if settings.kafka_create_topics:  # where an operator manages topics, it has created them
        await kafka.ensure_topics(settings.kafka_bootstrap, settings.topic_prefix)
    try:
        service = build(settings)
    except MapperDeserialisationError as e:
        # Most often: a store written with another MAAG_CIPHER_KEY (another checkout's
        # .maag/secrets.env on a shared database). Say so, not just "invalid cipher tag".
        log.error(
            "cannot read the event store",
            service=name,
            error=str(e),
            hint="the store holds events this service cannot decode: if they were written "
            "with another MAAG_CIPHER_KEY, start with that key, or point the service at "
            "another database or MAAG_POSTGRES_SCHEMA",
        )
        raise SystemExit(f"{name}: cannot read its event store ({e})") from None
    await service.start()
    try:
        await run_service(name, service.api, service.loops, settings)
    finally:
        await service.stop()


@dataclass
class Plumbing:
    """What every service wires the same way around its application: token checks, its
    read-model database and projection, its producer and outbox relay, its consumer group."""

    spec: ServiceSpec
    settings: Settings
    app: ServiceApplication
    verifier: TokenVerifier
    engine: Engine
    projector: Projector
    producer: AIOKafkaProducer  # dead letters (their original bytes), and readiness
    publisher: EventPublisher  # the outbox's events, through FastStream
    relay: OutboxRelay
    chain: EventChain
    anchorer: Anchorer
    wakeup: Wakeup

    @classmethod
    def around(
        cls,
        spec: ServiceSpec,
        settings: Settings,
        app: ServiceApplication,
        classes: EventClasses,
        translate: Translator,
        read_model: MetaData,
        project: Project,
        projection: str,
        engine: Engine | None = None,
    ) -> Plumbing:
        """`engine`: the service's own read-model engine, where its wiring made one already
        (for its keyring): one pool of connections per process, not two."""
        name = spec.name
        classes.check(spec.package)  # every event it can store is published or internal
        engine = engine or read_model_engine(settings, name)
        producer = kafka.producer(
            settings.kafka_bootstrap, f"maag-{name}", **kafka.client_options(settings)
        )
        wakeup = Wakeup.of(app, settings.postgres_conninfo)
        chain = EventChain(app, engine, ChainKeys.of(settings, name), wakeup=wakeup)
        publisher = EventPublisher(
            messaging.broker(
                settings.kafka_bootstrap, f"maag-{name}", messaging.security(settings)
            ),
            name,
            settings.topic_prefix,
            spec.relays,
        )
        return cls(
            spec=spec,
            settings=settings,
            app=app,
            verifier=TokenVerifier.for_service(settings.oidc_issuer, settings.oidc_jwks_url, name),
            engine=engine,
            projector=Projector(app, engine, read_model, project, projection, wakeup=wakeup),
            producer=producer,
            publisher=publisher,
            relay=OutboxRelay(
                app,
                classes,
                translate,
                publisher,
                source=name,
                topic_prefix=settings.topic_prefix,
                leader_lock_url=settings.postgres_conninfo,
                wakeup=wakeup,
            ),
            chain=chain,
            anchorer=Anchorer(chain, chain.keys, producer, settings),
            wakeup=wakeup,
        )

    async def incarnate(self) -> None:
        """Before the service takes a write: a new incarnation if its store has gone back in
        time since it last published (maag.runtime.store.incarnation)."""
        topics = [t.named(self.settings.topic_prefix) for t in self.spec.events]
        tails = await incarnation.read_tails(
            self.settings.kafka_bootstrap,
            topics,
            self.relay.source,
            **kafka.client_options(self.settings),
        )
        self.relay.incarnations = await asyncio.to_thread(incarnation.incarnate, self.app, tails)

    def consumer(self, subscriptions: Iterable[Subscription]) -> TrackedConsumer:
        """The service's consumer group, reading exactly the topics its spec declares."""
        subscriptions = list(subscriptions)
        declared = {t.named(self.settings.topic_prefix) for t in self.spec.consumes}
        if {s.topic for s in subscriptions} != declared:
            raise ValueError(
                f"{self.spec.name}: subscribes to {sorted(s.topic for s in subscriptions)}, "
                f"its spec declares {sorted(declared)}"
            )
        return TrackedConsumer(
            self.app,
            subscriptions,
            bootstrap=self.settings.kafka_bootstrap,
            group_id=self.settings.topic_prefix + self.spec.group_id,
            dlq_producer=self.producer,
            security=messaging.security(self.settings),
            service=self.spec.name,
        )

    @property
    def ready(self) -> Callable[[], dict[str, bool]]:
        return readiness(self.app, self.producer, self.relay)


A = TypeVar("A", bound=ServiceApplication)


@dataclass
class Service(Generic[A]):
    """A running service's parts: its application and API, and the loops beside the API."""

    app: A
    api: FastAPI
    relay: OutboxRelay
    consumer: TrackedConsumer
    projector: Projector
    producer: AIOKafkaProducer
    publisher: EventPublisher
    chain: EventChain
    anchorer: Anchorer
    extra_loops: list[Loop] = field(default_factory=list)
    incarnate: Callable[[], Awaitable[None]] | None = None
    store_check: StoreCheck | None = None

    async def start(self) -> None:
        await self.producer.start()
        await self.publisher.start()
        if self.incarnate is not None:
            await self.incarnate()

    async def stop(self) -> None:
        await self.publisher.stop()
        await self.producer.stop()

    @classmethod
    def of(
        cls,
        p: Plumbing,
        app: A,
        api: FastAPI,
        consumer: TrackedConsumer,
        extra_loops: Sequence[Loop] = (),
        **more: Any,
    ) -> Self:
        history = CaseHistory(p.spec.name, app, p.chain, p.spec.audit)
        check = StoreCheck(p.spec.name, p.chain, p.settings, p.anchorer)
        audit_api.install(api, history, check, p.settings)
        consistency.install(api, app, p.projector)
        return cls(
            app,
            api,
            p.relay,
            consumer,
            p.projector,
            p.producer,
            p.publisher,
            p.chain,
            p.anchorer,
            list(extra_loops),
            p.incarnate,
            check,
            **more,
        )

    @property
    def loops(self) -> list[Loop]:
        return [
            self.chain.run,
            self.anchorer.run,
            self.relay.run,
            self.consumer.run,
            self.projector.run,
            *([self.store_check.run] if self.store_check else []),
            *self.extra_loops,
        ]
