"""Wiring: the referral service's store, outbox relay, submissions consumer, read model and API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from contracts.topics import REFERRAL_SUBMISSIONS
from maag.runtime import kafka
from maag.runtime.auth import TokenVerifier
from maag.runtime.consumer import TrackedConsumer
from maag.runtime.logging import configure
from maag.runtime.outbox import OutboxRelay
from maag.runtime.projection import Projector, read_model_engine
from maag.runtime.service import run_service
from maag.runtime.settings import Settings
from services.referral import read_model
from services.referral.api import create_api
from services.referral.application import ReferralApp
from services.referral.intake import submissions
from services.referral.translate import translate

NAME = "referral"


@dataclass
class ReferralService:
    app: ReferralApp
    api: FastAPI
    relay: OutboxRelay
    consumer: TrackedConsumer
    projector: Projector
    producer: AIOKafkaProducer


def build(settings: Settings) -> ReferralService:
    verifier = TokenVerifier(settings.jwt_secret, settings.jwt_issuer)
    app = ReferralApp(settings)
    engine = read_model_engine(settings, NAME)
    projector = Projector(app, engine, read_model.metadata, read_model.project, "referral_cases")
    producer = kafka.producer(settings.kafka_bootstrap, f"maag-{NAME}")
    relay = OutboxRelay(app, translate, producer, source=NAME, topic_prefix=settings.topic_prefix)
    consumer = TrackedConsumer(
        app,
        [submissions(REFERRAL_SUBMISSIONS.named(settings.topic_prefix), verifier)],
        bootstrap=settings.kafka_bootstrap,
        group_id=f"{settings.topic_prefix}maag.{NAME}",
        dlq_producer=producer,
    )

    def ready() -> dict[str, bool]:
        try:
            app.position("readyz")
            store = True
        except Exception:
            store = False
        return {"store": store, "broker": bool(producer.client.cluster.brokers())}

    api = create_api(app, verifier, engine, ready)
    return ReferralService(app, api, relay, consumer, projector, producer)


async def serve(settings: Settings) -> None:
    configure(settings.log_format)
    await kafka.ensure_topics(settings.kafka_bootstrap, settings.topic_prefix)
    service = build(settings)
    await service.producer.start()
    try:
        await run_service(
            NAME,
            service.api,
            [service.relay.run, service.consumer.run, service.projector.run],
            settings,
        )
    finally:
        await service.producer.stop()


def main(settings: Settings) -> None:
    asyncio.run(serve(settings))
