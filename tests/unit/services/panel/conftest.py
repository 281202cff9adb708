from __future__ import annotations

from pathlib import Path

import pytest

from maag.runtime.settings import Settings
from services.panel.application.app import PanelApp
from tests.support import identity


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, **identity.settings())


@pytest.fixture
def app(settings: Settings) -> PanelApp:
    return PanelApp(settings, quorum_other_agencies=2)
