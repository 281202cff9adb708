"""Wiring: the commissioning service's store, relay, consumers, reports (and failed
commissioning) and API."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from contracts.topics import PANEL_EVENTS, REFERRAL_EVENTS
from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.messaging import kafka
from maag.runtime.service import Plumbing, Service, run
from maag.runtime.settings import Settings
from services.commissioning.adapters.boards import BoardFeed
from services.commissioning.adapters.failures import project_failures
from services.commissioning.adapters.http import create_api
from services.commissioning.adapters.inbound import subscriptions
from services.commissioning.adapters.read_model import project
from services.commissioning.adapters.translate import CLASSES, translate
from services.commissioning.application.app import CommissioningApp
from services.commissioning.application.tables import (
    FAILURES,
    FAILURES_PROJECTION,
    REPORTS,
    REPORTS_PROJECTION,
)
from services.commissioning.spec import SPEC

CommissioningService = Service[CommissioningApp]


def build(settings: Settings) -> CommissioningService:
    app = CommissioningApp(settings)
    app.seed(datetime.now(UTC).date())  # providers and this year's budgets, before any request
    p = Plumbing.around(
        SPEC,
        settings,
        app,
        CLASSES,
        translate,
        REPORTS,
        project,
        projection=REPORTS_PROJECTION,
    )
    consumer = p.consumer(
        subscriptions(
            PANEL_EVENTS.named(settings.topic_prefix),
            REFERRAL_EVENTS.named(settings.topic_prefix),
        )
    )
    api = create_api(app, p.verifier, p.engine, settings, p.ready)
    loops = [board_feed(settings, p.engine).run, failures_projector(app, p).run]
    return Service.of(p, app, api, consumer, loops)


def failures_projector(app: CommissioningApp, p: Plumbing) -> Projector:
    """The failed commissioning read model: its own position, so that where it is new it
    reads the store from its beginning (the refusals kept before it, too)."""
    return Projector(
        app, p.engine, FAILURES, project_failures, FAILURES_PROJECTION, wakeup=p.wakeup
    )


def board_feed(settings: Settings, engine: Engine | None = None) -> BoardFeed:
    """The boards' projection, fed by the topics the spec says it reads."""
    return BoardFeed(
        engine if engine is not None else read_model_engine(settings, SPEC.name),
        settings.kafka_bootstrap,
        [t.named(settings.topic_prefix) for t in SPEC.reads],
        kafka.client_options(settings),
    )


def main(settings: Settings) -> None:
    run(SPEC, settings, build)
