"""Wiring: the referral service's store, outbox relay, submissions consumer, read model and API."""

from __future__ import annotations

import asyncio

from contracts.topics import PANEL_EVENTS, REFERRAL_SUBMISSIONS
from maag.runtime.service import Plumbing, Service, serve
from maag.runtime.settings import Settings
from services.referral.adapters import read_model
from services.referral.adapters.http import create_api
from services.referral.adapters.inbound import panel_events, submissions
from services.referral.adapters.translate import translate
from services.referral.application.app import ReferralApp
from services.referral.spec import SPEC

ReferralService = Service[ReferralApp]


def build(settings: Settings) -> ReferralService:
    app = ReferralApp(settings)
    p = Plumbing.around(
        SPEC,
        settings,
        app,
        translate,
        read_model.metadata,
        read_model.project,
        projection="referral_cases",
    )
    consumer = p.consumer(
        [
            submissions(REFERRAL_SUBMISSIONS.named(settings.topic_prefix), p.verifier),
            panel_events(PANEL_EVENTS.named(settings.topic_prefix)),
        ]
    )
    api = create_api(app, p.verifier, p.engine, p.ready)
    return Service.of(p, app, api, consumer)


def main(settings: Settings) -> None:
    asyncio.run(serve(SPEC, settings, build))
