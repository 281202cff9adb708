"""The notifications HTTP API: the emails about a case, typed, for those the policy lets
read them; the answer's fields and their form as they always were."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.events.commissioning import DecommissionReason, PackageDecommissioned
from contracts.reference import Role
from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.settings import Settings
from services.notifications.adapters import read_model
from services.notifications.adapters.http import create_api
from services.notifications.application.policies.on_package_decommissioned import (
    on_package_decommissioned,
)
from services.notifications.domain.known_case import KnownCase
from tests.support import identity
from tests.support.identity import auth, verifier
from tests.unit.services.notifications.conftest import ACTOR, NOW, delivered, make_app

FIELDS = {
    "notification_id",
    "case_id",
    "recipient",
    "template",
    "source_event_id",
    "status",
    "detail",
    "requested_at",
    "updated_at",
}


@pytest.fixture
def case(tmp_path: Path) -> tuple[Any, uuid.UUID]:
    settings = Settings(data_dir=tmp_path, **identity.settings())
    app = make_app(tmp_path, **identity.settings())
    case_id = uuid.uuid4()
    known = KnownCase(case_id=case_id)
    known.place("harlow", "maag")
    app.save(known)
    event = PackageDecommissioned(
        case_id=case_id,
        occurred_at=NOW,
        actor=ACTOR,
        package_id=uuid.uuid4(),
        reason=DecommissionReason.OUTCOMES_MET,
        effective_from=date(2027, 1, 1),
        provider_ids=["pvi-12", "health-camhs"],
    )
    delivered(app, on_package_decommissioned, event).commit()
    engine = read_model_engine(settings, "notifications")
    Projector(app, engine, read_model.metadata, read_model.project, "n").catch_up()
    api = create_api(app, verifier("notifications"), engine, lambda: {"store": True})
    return TestClient(api, raise_server_exceptions=False), case_id


def test_the_emails_about_a_case_in_the_order_asked(case: tuple[Any, uuid.UUID]) -> None:
    client, case_id = case
    member = auth(Role.PANEL_MEMBER, "social-care", "p-1", ["harlow"], ["maag"])
    r = client.get(f"/cases/{case_id}/notifications", headers=member)
    assert r.status_code == 200, r.text
    emails = r.json()
    assert [set(e) for e in emails] == [FIELDS, FIELDS]
    assert sorted(e["recipient"] for e in emails) == [
        "camhs-referrals@pct.example",
        "packages@brighter-futures.example",
    ]
    assert {(e["status"], e["detail"], e["case_id"]) for e in emails} == {
        ("requested", None, str(case_id))
    }
    auditor = auth(Role.AUDITOR, "county-audit", "a-1")
    assert client.get(f"/cases/{case_id}/notifications", headers=auditor).json() == emails
    schema = client.get("/openapi.json").json()
    assert "Email" in schema["components"]["schemas"]


def test_the_emails_are_refused_to_those_the_policy_refuses(case: tuple[Any, uuid.UUID]) -> None:
    client, case_id = case
    path = f"/cases/{case_id}/notifications"
    other = auth(Role.PANEL_MEMBER, "social-care", "p-2", ["tendring"], ["maag"])
    assert client.get(path, headers=other).status_code == 404
    commissioner = auth(Role.COMMISSIONER, "childrens-services", "c-1")
    assert client.get(path, headers=commissioner).status_code == 403
    assert client.get(path).status_code == 401
