from __future__ import annotations

from datetime import datetime
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import create_engine

from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import SqlKeyring
from services.panel.adapters import read_model
from services.panel.adapters.keyring import KEYS
from services.panel.adapters.read_model import Agendas
from services.panel.application.app import PanelApp
from services.panel.application.ports import LedCase
from tests.support import identity
from tests.support.referral import KEKS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, **identity.settings())


@pytest.fixture
def app(settings: Settings) -> PanelApp:
    made = PanelApp(settings, quorum_other_agencies=2)
    engine = create_engine(f"sqlite:///{settings.data_dir}/keys.db")
    made.keep_keys(SqlKeyring(engine, KEKS, KEYS))
    return made


@pytest.fixture
def agendas(settings: Settings, app: PanelApp) -> Agendas:
    """The agenda read model, caught up with the store whenever it is asked which meetings
    started when or who leads what (as the service's projection would be, a moment later)."""
    engine = read_model_engine(settings, "panel")
    projector = Projector(app, engine, read_model.metadata, read_model.project, "panel_agenda")

    class CaughtUp(Agendas):
        def started_between(self, since: datetime, until: datetime) -> list[UUID]:
            projector.catch_up()
            return super().started_between(since, until)

        def led_by(self, professional_id: str) -> list[LedCase]:
            projector.catch_up()
            return super().led_by(professional_id)

    return CaughtUp(engine)
