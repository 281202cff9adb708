"""Wiring: the panel service's store, outbox relay, consumers, agenda read model and API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from contracts.topics import COMMISSIONING_EVENTS, REFERRAL_EVENTS
from maag.runtime.follow.loops import sleep_or_stop
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.logging import get_logger
from maag.runtime.service import Loop, Plumbing, Service, run
from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import SqlKeyring
from services.panel.adapters import read_model
from services.panel.adapters.http import create_api
from services.panel.adapters.inbound import subscriptions
from services.panel.adapters.keyring import panel_keyring
from services.panel.adapters.read_model import Agendas
from services.panel.adapters.translate import CLASSES, translate
from services.panel.application.app import PanelApp
from services.panel.application.commands.carry_undecided import carry_undecided
from services.panel.application.commands.schedule_ahead import schedule_ahead
from services.panel.application.ports import ReadModel
from services.panel.spec import SPEC

log = get_logger(__name__)


PanelService = Service[PanelApp]


def keep_scheduled(app: PanelApp, read_model: ReadModel) -> Loop:
    """Meetings are scheduled four weeks ahead, and the cases a past meeting left undecided
    carried to the next, checked hourly (retried soon on failure). The read model names the
    meetings called off the programme."""

    async def loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                made = await asyncio.to_thread(schedule_ahead, app, datetime.now(UTC))
                if made:
                    log.info("meetings scheduled", count=made)
                carried = await asyncio.to_thread(
                    carry_undecided, app, datetime.now(UTC), read_model
                )
                if carried:
                    log.info("undecided cases carried to the next meeting", count=carried)
                wait = 3600.0
            except Exception as e:
                log.warning("scheduling retrying", error=repr(e))
                wait = 10.0
            await sleep_or_stop(stop, wait)

    return loop


def build(settings: Settings) -> PanelService:
    app = PanelApp(settings, quorum_other_agencies=settings.quorum_other_agencies)
    # the plan's texts about the family, sealed under each case's data key (crypto-shredding)
    engine = read_model_engine(settings, "panel")
    app.keep_keys(panel_keyring(engine, settings))
    p = Plumbing.around(
        SPEC,
        settings,
        app,
        CLASSES,
        translate,
        read_model.metadata,
        read_model.project,
        projection="panel_agenda",
        engine=engine,
    )
    consumer = p.consumer(
        subscriptions(
            REFERRAL_EVENTS.named(settings.topic_prefix),
            COMMISSIONING_EVENTS.named(settings.topic_prefix),
        )
    )
    api = create_api(app, p.verifier, p.engine, p.ready)
    return Service.of(p, app, api, consumer, [keep_scheduled(app, Agendas(engine))])


def keyring(settings: Settings) -> SqlKeyring:
    """The cases' data keys as the running service holds them (`maag privacy rotate-keys
    --service panel`)."""
    return panel_keyring(read_model_engine(settings, "panel"), settings)


def main(settings: Settings) -> None:
    run(SPEC, settings, build)
