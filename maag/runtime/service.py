"""Runs a service: its HTTP API (uvicorn) beside its background loops, stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any, Protocol

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from maag.runtime import kafka
from maag.runtime.application import ServiceApplication
from maag.runtime.logging import configure, get_logger
from maag.runtime.settings import Settings

log = get_logger(__name__)

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after serving, killing the process before the background
    loops and the producer stop; signals are handled by `run_service` instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_service(name: str, api: FastAPI, loops: Sequence[Loop], settings: Settings) -> None:
    stop = asyncio.Event()
    server = _Server(
        uvicorn.Config(
            api,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    tasks = [asyncio.create_task(loop(stop), name=f"{name}-{i}") for i, loop in enumerate(loops)]
    log.info("service started", service=name, http=f"{settings.http_host}:{settings.http_port}")

    async def watch() -> None:
        # A background loop that dies takes the service down: better restarted than half-alive.
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                log.error(
                    "background loop failed",
                    service=name,
                    loop=task.get_name(),
                    error=repr(task.exception()),
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


class Built(Protocol):
    """What a service's `build(settings)` returns."""

    api: FastAPI
    producer: AIOKafkaProducer

    @property
    def loops(self) -> Sequence[Loop]: ...


def readiness(app: ServiceApplication, producer: AIOKafkaProducer) -> Callable[[], dict[str, bool]]:
    """/readyz: the store answers and the producer knows a broker."""

    def ready() -> dict[str, bool]:
        try:
            app.position("readyz")
            store = True
        except Exception:
            store = False
        return {"store": store, "broker": bool(producer.client.cluster.brokers())}

    return ready


async def serve(name: str, settings: Settings, build: Callable[[Settings], Built]) -> None:
    """Logging, the registry's topics, the service, its producer; until SIGTERM."""
    configure(settings.log_format)
    await kafka.ensure_topics(settings.kafka_bootstrap, settings.topic_prefix)
    service = build(settings)
    await service.producer.start()
    try:
        await run_service(name, service.api, service.loops, settings)
    finally:
        await service.producer.stop()
