"""Wiring: the referral service's store, outbox relay, submissions consumer, read model and API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from contracts.topics import REFERRAL_SUBMISSIONS
from maag.runtime.chain import EventChain
from maag.runtime.consumer import TrackedConsumer
from maag.runtime.outbox import OutboxRelay
from maag.runtime.projection import Projector
from maag.runtime.service import Loop, Plumbing, serve
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
    chain: EventChain

    @property
    def loops(self) -> list[Loop]:
        return [self.chain.run, self.relay.run, self.consumer.run, self.projector.run]


def build(settings: Settings) -> ReferralService:
    app = ReferralApp(settings)
    p = Plumbing.around(
        NAME,
        settings,
        app,
        translate,
        read_model.metadata,
        read_model.project,
        projection="referral_cases",
    )
    consumer = p.consumer(
        [submissions(REFERRAL_SUBMISSIONS.named(settings.topic_prefix), p.verifier)]
    )
    api = create_api(app, p.verifier, p.engine, p.ready)
    return ReferralService(app, api, p.relay, consumer, p.projector, p.producer, p.chain)


def main(settings: Settings) -> None:
    asyncio.run(serve(NAME, settings, build))
