"""Wiring: the notifications service's store, consumers, SMTP sender, outbox relay and API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS
from maag.runtime import kafka
from maag.runtime.auth import TokenVerifier
from maag.runtime.consumer import TrackedConsumer
from maag.runtime.outbox import OutboxRelay
from maag.runtime.projection import Projector, read_model_engine
from maag.runtime.service import Loop, readiness, serve
from maag.runtime.settings import Settings
from services.notifications import read_model
from services.notifications.api import create_api
from services.notifications.application import NotificationsApp
from services.notifications.directory import ProviderDirectory
from services.notifications.inbound import Requests, subscriptions
from services.notifications.sender import Sender
from services.notifications.translate import Translator

NAME = "notifications"


@dataclass
class NotificationsService:
    app: NotificationsApp
    api: FastAPI
    relay: OutboxRelay
    consumer: TrackedConsumer
    sender: Sender
    projector: Projector
    producer: AIOKafkaProducer

    @property
    def loops(self) -> list[Loop]:
        return [self.relay.run, self.consumer.run, self.sender.run, self.projector.run]


def build(settings: Settings) -> NotificationsService:
    verifier = TokenVerifier(settings.jwt_secret, settings.jwt_issuer)
    app = NotificationsApp(settings)
    engine = read_model_engine(settings, NAME)
    projector = Projector(
        app, engine, read_model.metadata, read_model.project, "notification_emails"
    )
    producer = kafka.producer(settings.kafka_bootstrap, f"maag-{NAME}")
    relay = OutboxRelay(
        app,
        Translator(app),
        producer,
        source=NAME,
        topic_prefix=settings.topic_prefix,
        leader_lock_url=settings.postgres_url,
    )
    requests = Requests(settings.link_base, ProviderDirectory(settings.provider_directory))
    consumer = TrackedConsumer(
        app,
        subscriptions(
            requests,
            PANEL_EVENTS.named(settings.topic_prefix),
            COMMISSIONING_EVENTS.named(settings.topic_prefix),
        ),
        bootstrap=settings.kafka_bootstrap,
        group_id=f"{settings.topic_prefix}maag.{NAME}",
        dlq_producer=producer,
    )
    sender = Sender(app, settings, producer)

    ready = readiness(app, producer)

    api = create_api(verifier, engine, ready)
    return NotificationsService(app, api, relay, consumer, sender, projector, producer)


def main(settings: Settings) -> None:
    asyncio.run(serve(NAME, settings, build))
