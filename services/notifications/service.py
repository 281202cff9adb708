"""Wiring: the notifications service's store, consumers, SMTP sender, outbox relay and API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS
from maag.runtime.chain import EventChain
from maag.runtime.consumer import TrackedConsumer
from maag.runtime.outbox import OutboxRelay
from maag.runtime.projection import Projector
from maag.runtime.service import Loop, Plumbing, serve
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
    chain: EventChain

    @property
    def loops(self) -> list[Loop]:
        return [
            self.chain.run,
            self.relay.run,
            self.consumer.run,
            self.sender.run,
            self.projector.run,
        ]


def build(settings: Settings) -> NotificationsService:
    app = NotificationsApp(settings)
    p = Plumbing.around(
        NAME,
        settings,
        app,
        Translator(app),
        read_model.metadata,
        read_model.project,
        projection="notification_emails",
    )
    requests = Requests(settings.link_base, ProviderDirectory(settings.provider_directory))
    consumer = p.consumer(
        subscriptions(
            requests,
            PANEL_EVENTS.named(settings.topic_prefix),
            COMMISSIONING_EVENTS.named(settings.topic_prefix),
        )
    )
    api = create_api(p.verifier, p.engine, p.ready)
    return NotificationsService(
        app,
        api,
        p.relay,
        consumer,
        Sender(app, settings, p.producer),
        p.projector,
        p.producer,
        p.chain,
    )


def main(settings: Settings) -> None:
    asyncio.run(serve(NAME, settings, build))
