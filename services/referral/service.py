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
from maag.runtime.outbox import OutboxRelay
from maag.runtime.projection import Projector, read_model_engine
from maag.runtime.service import Loop, readiness, serve
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

    @property
    def loops(self) -> list[Loop]:
        return [self.relay.run, self.consumer.run, self.projector.run]


def build(settings: Settings) -> ReferralService:
    verifier = TokenVerifier(settings.jwt_secret, settings.jwt_issuer)
    app = ReferralApp(settings)
    engine = read_model_engine(settings, NAME)
    projector = Projector(app, engine, read_model.metadata, read_model.project, "referral_cases")
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
        [submissions(REFERRAL_SUBMISSIONS.named(settings.topic_prefix), verifier)],
        bootstrap=settings.kafka_bootstrap,
        group_id=f"{settings.topic_prefix}maag.{NAME}",
        dlq_producer=producer,
    )

    ready = readiness(app, producer)

    api = create_api(app, verifier, engine, ready)
    return ReferralService(app, api, relay, consumer, projector, producer)


def main(settings: Settings) -> None:
    asyncio.run(serve(NAME, settings, build))
