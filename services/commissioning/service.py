"""Wiring: the commissioning service's store, relay, consumers, reports and API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from contracts.topics import PANEL_EVENTS, REFERRAL_EVENTS
from maag.runtime.chain import EventChain
from maag.runtime.consumer import TrackedConsumer
from maag.runtime.outbox import OutboxRelay
from maag.runtime.projection import Projector
from maag.runtime.service import Loop, Plumbing, serve
from maag.runtime.settings import Settings
from services.commissioning import reports
from services.commissioning.api import create_api
from services.commissioning.application import CommissioningApp
from services.commissioning.inbound import Inbound, subscriptions
from services.commissioning.translate import translate

NAME = "commissioning"


@dataclass
class CommissioningService:
    app: CommissioningApp
    api: FastAPI
    relay: OutboxRelay
    consumer: TrackedConsumer
    projector: Projector
    producer: AIOKafkaProducer
    chain: EventChain

    @property
    def loops(self) -> list[Loop]:
        return [self.chain.run, self.relay.run, self.consumer.run, self.projector.run]


def build(settings: Settings) -> CommissioningService:
    app = CommissioningApp(settings)
    app.seed(datetime.now(UTC).date())  # providers and this year's budgets, before any request
    p = Plumbing.around(
        NAME,
        settings,
        app,
        translate,
        reports.metadata,
        reports.project,
        projection="commissioning_reports",
    )
    consumer = p.consumer(
        subscriptions(
            Inbound(app.jap_split),
            PANEL_EVENTS.named(settings.topic_prefix),
            REFERRAL_EVENTS.named(settings.topic_prefix),
        )
    )
    api = create_api(app, p.verifier, p.engine, settings, p.ready)
    return CommissioningService(app, api, p.relay, consumer, p.projector, p.producer, p.chain)


def main(settings: Settings) -> None:
    asyncio.run(serve(NAME, settings, build))
