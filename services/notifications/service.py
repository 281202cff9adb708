"""Wiring: the notifications service's store, consumers, SMTP sender, outbox relay and API."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS, REFERRAL_EVENTS
from maag.runtime.service import Plumbing, Service, run
from maag.runtime.settings import Settings
from services.notifications.adapters import read_model
from services.notifications.adapters.directory import ProviderDirectory
from services.notifications.adapters.http import create_api
from services.notifications.adapters.inbound import subscriptions
from services.notifications.adapters.journal import SentJournal
from services.notifications.adapters.reminders import ReminderLoop
from services.notifications.adapters.smtp import Sender
from services.notifications.adapters.translate import CLASSES, Translator
from services.notifications.application.app import NotificationsApp
from services.notifications.spec import SPEC


@dataclass
class NotificationsService(Service[NotificationsApp]):
    sender: Sender = field(kw_only=True)


def build(settings: Settings) -> NotificationsService:
    # The directory is checked first: a bad entry stops the service, naming it.
    directory = ProviderDirectory(settings.provider_directory)
    app = NotificationsApp(settings, email_of=directory.email_of, members_of=directory.members_of)
    p = Plumbing.around(
        SPEC,
        settings,
        app,
        CLASSES,
        Translator(app),
        read_model.metadata,
        read_model.project,
        projection="notification_emails",
    )
    consumer = p.consumer(
        subscriptions(
            PANEL_EVENTS.named(settings.topic_prefix),
            COMMISSIONING_EVENTS.named(settings.topic_prefix),
            REFERRAL_EVENTS.named(settings.topic_prefix),
        )
    )
    api = create_api(app, p.verifier, p.engine, p.ready)
    sender = Sender(app, settings, p.producer, journal=SentJournal(p.engine), wakeup=p.wakeup)
    reminders = ReminderLoop(app, p.engine)
    return NotificationsService.of(
        p, app, api, consumer, [sender.run, reminders.run], sender=sender
    )


def main(settings: Settings) -> None:
    run(SPEC, settings, build)
