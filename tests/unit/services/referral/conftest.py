from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient

from contracts.events import Actor, IntegrationEvent
from contracts.events.panel import CaseClosed, LeadProfessionalAssigned
from contracts.reference import Agency, Panel, Role
from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import SqlKeyring
from maag.runtime.store.unit_of_work import Work
from services.referral.adapters import read_model
from services.referral.adapters.child_index import SqlChildIndex
from services.referral.adapters.document_content import SqlDocumentContents
from services.referral.adapters.http import create_api
from services.referral.adapters.keyring import KEYS
from services.referral.adapters.read_model import SqlCaseList
from services.referral.application.app import ReferralApp
from services.referral.application.policies.on_case_closed import on_case_closed
from services.referral.application.policies.on_lead_professional_assigned import (
    on_lead_professional_assigned,
)
from services.referral.audit import AUDIT
from tests.support import identity
from tests.support.identity import verifier
from tests.support.referral import CHILD_INDEX_KEYS, CIPHER_KEY, KEKS

CHAIR = Actor(user_id="chair-1", role=Role.PANEL_CHAIR, agency="social-care")


@dataclass
class Api:
    client: TestClient
    app: ReferralApp
    projector: Projector


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        cipher_key=CIPHER_KEY,
        key_encryption_keys=KEKS,
        child_index_keys=CHILD_INDEX_KEYS,
        **identity.settings(),
    )


@pytest.fixture
def api(settings: Settings) -> Api:
    engine = read_model_engine(settings, "referral")
    index = SqlChildIndex(engine, CHILD_INDEX_KEYS)
    keyring = SqlKeyring(engine, settings.key_encryption_keys, KEYS)
    documents = SqlDocumentContents(engine)
    app = ReferralApp(
        settings, keyring, index, SqlCaseList(engine), documents=documents, audit=AUDIT
    )
    projector = Projector(
        app, engine, read_model.metadata, read_model.project, read_model.PROJECTION
    )
    fastapi_app = create_api(app, verifier(), lambda: {"store": True, "broker": True})
    return Api(TestClient(fastapi_app, raise_server_exceptions=False), app, projector)


E = TypeVar("E", bound=IntegrationEvent)


def delivered(event: E) -> Delivery[E]:
    """`event` as the consumer hands it to a policy (from the panel's topic)."""
    return Delivery(event, None, "maag.panel.events", 0, 0)


def lead_assigned(app: ReferralApp, case_id: uuid.UUID, professional_id: str, agency: str) -> None:
    """The panel's LeadProfessionalAssigned, through the referral's policy for it."""
    event = LeadProfessionalAssigned(
        case_id=case_id,
        occurred_at=datetime.now(UTC),
        actor=CHAIR,
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        professional_id=professional_id,
        professional_name="Lee Lead",
        agency=Agency(agency),
        work_email="lee@example.org",
    )
    work = Work(app)
    on_lead_professional_assigned(delivered(event), work)
    work.commit()


def closed_at_panel(app: ReferralApp, case_id: uuid.UUID, reason: str, on: date) -> None:
    """The panel's CaseClosed (on `on`), through the referral's policy for it."""
    event = CaseClosed(
        case_id=case_id,
        occurred_at=datetime.combine(on, time(12), UTC),
        actor=CHAIR,
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        reason=reason,
    )
    work = Work(app)
    on_case_closed(delivered(event), work)
    work.commit()
