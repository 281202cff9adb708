from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import SqlKeyring
from services.panel.adapters.keyring import KEYS
from services.panel.application.app import PanelApp
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
