"""Wiring: the commissioning service's store, relay, consumers, reports and API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from contracts.topics import PANEL_EVENTS, REFERRAL_EVENTS
from maag.runtime import kafka
from maag.runtime.auth import TokenVerifier
from maag.runtime.consumer import TrackedConsumer
from maag.runtime.outbox import OutboxRelay
from maag.runtime.projection import Projector, read_model_engine
from maag.runtime.service import Loop, readiness, serve
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

    @property
    def loops(self) -> list[Loop]:
        return [self.relay.run, self.consumer.run, self.projector.run]


def build(settings: Settings) -> CommissioningService:
    verifier = TokenVerifier(settings.jwt_secret, settings.jwt_issuer)
    app = CommissioningApp(settings)
    app.seed(datetime.now(UTC).date())  # providers and this year's budgets, before any request
    engine = read_model_engine(settings, NAME)
    projector = Projector(app, engine, reports.metadata, reports.project, "commissioning_reports")
    producer = kafka.producer(settings.kafka_bootstrap, f"maag-{NAME}")
    relay = OutboxRelay(
        app,
        translate,
        producer,
        source=NAME,
        topic_prefix=settings.topic_prefix,
        leader_lock_url=settings.postgres_url,
    )
    consumer = TrackedConsumer(
        app,
        subscriptions(
            Inbound(app.jap_split),
            PANEL_EVENTS.named(settings.topic_prefix),
            REFERRAL_EVENTS.named(settings.topic_prefix),
        ),
        bootstrap=settings.kafka_bootstrap,
        group_id=f"{settings.topic_prefix}maag.{NAME}",
        dlq_producer=producer,
    )
    api = create_api(app, verifier, engine, settings, readiness(app, producer))
    return CommissioningService(app, api, relay, consumer, projector, producer)


def main(settings: Settings) -> None:
    asyncio.run(serve(NAME, settings, build))
