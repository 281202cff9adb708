"""Wiring: the panel service's store, outbox relay, consumers, agenda read model and API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from contracts.topics import COMMISSIONING_EVENTS, REFERRAL_EVENTS
from maag.runtime.chain import EventChain
from maag.runtime.consumer import TrackedConsumer
from maag.runtime.logging import get_logger
from maag.runtime.loops import sleep_or_stop
from maag.runtime.outbox import OutboxRelay
from maag.runtime.projection import Projector
from maag.runtime.service import Loop, Plumbing, serve
from maag.runtime.settings import Settings
from services.panel import read_model
from services.panel.api import create_api
from services.panel.application import PanelApp
from services.panel.inbound import subscriptions
from services.panel.translate import translate

NAME = "panel"
log = get_logger(__name__)


@dataclass
class PanelService:
    app: PanelApp
    api: FastAPI
    relay: OutboxRelay
    consumer: TrackedConsumer
    projector: Projector
    producer: AIOKafkaProducer
    chain: EventChain

    @property
    def loops(self) -> list[Loop]:
        return [
            self.chain.run,
            self.relay.run,
            self.consumer.run,
            self.projector.run,
            self.keep_scheduled,
        ]

    async def keep_scheduled(self, stop: asyncio.Event) -> None:
        """Meetings are scheduled four weeks ahead, checked hourly (retried soon on failure)."""
        while not stop.is_set():
            try:
                made = await asyncio.to_thread(self.app.schedule_ahead, datetime.now(UTC))
                if made:
                    log.info("meetings scheduled", count=made)
                wait = 3600.0
            except Exception as e:
                log.warning("scheduling retrying", error=repr(e))
                wait = 10.0
            await sleep_or_stop(stop, wait)


def build(settings: Settings) -> PanelService:
    app = PanelApp(settings, quorum_other_agencies=settings.quorum_other_agencies)
    p = Plumbing.around(
        NAME,
        settings,
        app,
        translate,
        read_model.metadata,
        read_model.project,
        projection="panel_agenda",
    )
    consumer = p.consumer(
        subscriptions(
            REFERRAL_EVENTS.named(settings.topic_prefix),
            COMMISSIONING_EVENTS.named(settings.topic_prefix),
        )
    )
    api = create_api(app, p.verifier, p.engine, p.ready)
    return PanelService(app, api, p.relay, consumer, p.projector, p.producer, p.chain)


def main(settings: Settings) -> None:
    asyncio.run(serve(NAME, settings, build))
