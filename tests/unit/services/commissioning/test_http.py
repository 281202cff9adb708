"""The commissioning HTTP API: commissioners' calls, their 4xx answers, CSV reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.reference import Role
from maag.runtime.projection import Projector, read_model_engine
from maag.runtime.settings import Settings
from services.commissioning.adapters import read_model as reports
from services.commissioning.adapters.http import create_api
from services.commissioning.application.app import CommissioningApp
from tests.support import identity
from tests.support.identity import auth, verifier


def commissioner() -> dict[str, str]:
    return auth(Role.COMMISSIONER, "childrens-services", "comm-1")


@pytest.fixture
def client(tmp_path: Path) -> Any:
    settings = Settings(data_dir=tmp_path, **identity.settings())
    app = CommissioningApp(settings)
    app.seed(date(2026, 11, 27))
    engine = read_model_engine(settings, "commissioning")
    Projector(app, engine, reports.metadata, reports.project, "reports").catch_up()
    api = create_api(app, verifier(), engine, settings, lambda: {"store": True, "broker": True})
    return TestClient(api, raise_server_exceptions=False)


def test_providers_capacity_and_budgets(client: Any) -> None:
    assert {p["provider_id"] for p in client.get("/providers", headers=commissioner()).json()} >= {
        "pvi-12",
        "health-camhs",
    }
    r = client.put(
        "/providers/pvi-12/capacity", headers=commissioner(), json={"weekly_capacity": 90}
    )
    assert (r.status_code, r.json()["weekly_capacity"]) == (200, 90)
    r = client.put("/budgets/earp/2026", headers=commissioner(), json={"amount_pence": 123})
    assert r.json() == {
        "panel": "earp",
        "financial_year": 2026,
        "amount_pence": 123,
        "committed_pence": 0,
        "left_pence": 123,
    }


def test_registering_twice_and_bad_fields_are_refused_precisely(client: Any) -> None:
    body = {
        "provider_id": "new-one",
        "name": "New",
        "kind": "pvi",
        "services": ["mentoring"],
        "weekly_capacity": 5,
        "unit_cost_pence": 100,
    }
    assert client.post("/providers", headers=commissioner(), json=body).status_code == 201
    r = client.post("/providers", headers=commissioner(), json=body)
    assert (r.status_code, r.json()["detail"]) == (409, "provider new-one is already registered")
    r = client.post(
        "/providers", headers=commissioner(), json={**body, "provider_id": "Bad Id", "kind": "shop"}
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"body.provider_id", "body.kind"}


def test_unknown_things_and_roles(client: Any) -> None:
    r = client.put(
        "/providers/nobody/capacity", headers=commissioner(), json={"weekly_capacity": 1}
    )
    assert r.status_code == 404 and r.json()["detail"].startswith("no provider")
    r = client.put(
        "/budgets/earp/2026",
        headers=auth(Role.PANEL_MEMBER, "social-care"),
        json={"amount_pence": 1},
    )
    assert (
        r.json()["detail"]
        == "forbidden: role 'panel-member' may not set budgets (allowed: commissioner)"
    )
    assert client.get("/reports/savings").status_code == 401


def test_reports_answer_as_json_and_csv(client: Any) -> None:
    capacity = client.get("/reports/capacity", headers=commissioner()).json()
    assert {r["provider_id"] for r in capacity} >= {"pvi-12"} and capacity[0]["use_percent"] == 0.0
    assert (
        client.get("/reports/savings", headers=commissioner()).json()["summary"]
        == "£0 a year; £0 over five years"
    )
    assert client.get("/reports/spend.csv", headers=commissioner()).status_code == 200


@pytest.mark.parametrize("fy", [str(10**30), "-1", "1999", "2101"])
def test_a_financial_year_out_of_range_is_422_not_500(client: Any, fy: str) -> None:
    r = client.get("/reports/spend", params={"fy": fy}, headers=commissioner())
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "query.fy"
    r = client.get(f"/budgets/earp/{fy}", headers=commissioner())
    assert r.status_code == 422, r.text


def test_a_panel_member_may_record_a_review_but_only_a_commissioner_may_stop_a_package(
    tmp_path: Path,
) -> None:
    import uuid

    from contracts.reference import Panel
    from maag.runtime.unit_of_work import Work
    from services.commissioning.application.packages import commission

    settings = Settings(data_dir=tmp_path, **identity.settings())
    app = CommissioningApp(settings)
    app.seed(date(2026, 11, 27))
    work = Work(app)
    package = commission(
        work,
        package_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        panel=Panel.MAAG,
        district="harlow",
        interventions=[
            {
                "service": "family support",
                "hours_per_week": 4,
                "starts_on": "2026-12-07",
                "review_interval_weeks": 12,
                "estimated_weekly_cost_pence": 0,
            }
        ],
        jap_split=[],
    )
    work.commit()
    engine = read_model_engine(settings, "commissioning")
    api = create_api(app, verifier(), engine, settings, lambda: {"store": True, "broker": True})
    client = TestClient(api, raise_server_exceptions=False)
    panel_member = auth(Role.PANEL_MEMBER, "social-care")
    path = f"/packages/{package.id}/reviews"
    stop = {"goals": "met", "level_of_need_change": -1, "decision": "decommission"}
    r = client.post(path, headers=panel_member, json=stop)
    assert r.status_code == 403
    assert "may not decommission a package at review" in r.json()["detail"]
    assert app.repository.get(package.id).status == "active"
    go_on = {"goals": "partly", "level_of_need_change": 0, "decision": "continue"}
    assert client.post(path, headers=panel_member, json=go_on).status_code == 200
    r = client.post(path, headers=commissioner(), json={**stop, "effective_from": "2027-01-04"})
    assert (r.status_code, r.json()["status"]) == (200, "decommissioned")
