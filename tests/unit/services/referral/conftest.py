from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.settings import Settings
from services.referral.adapters import read_model
from services.referral.adapters.child_index import SqlChildIndex, index_key
from services.referral.adapters.http import create_api
from services.referral.adapters.keyring import SqlKeyring
from services.referral.application.app import ReferralApp
from tests.support import identity
from tests.support.identity import verifier
from tests.support.referral import CIPHER_KEY, KEKS


@dataclass
class Api:
    client: TestClient
    app: ReferralApp
    projector: Projector


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, cipher_key=CIPHER_KEY, key_encryption_keys=KEKS, **identity.settings()
    )


@pytest.fixture
def api(settings: Settings) -> Api:
    engine = read_model_engine(settings, "referral")
    index = SqlChildIndex(engine, index_key(CIPHER_KEY))
    app = ReferralApp(settings, SqlKeyring(engine, settings.key_encryption_keys), index)
    projector = Projector(
        app, engine, read_model.metadata, read_model.project, read_model.PROJECTION
    )
    fastapi_app = create_api(app, verifier(), engine, lambda: {"store": True, "broker": True})
    return Api(TestClient(fastapi_app, raise_server_exceptions=False), app, projector)
