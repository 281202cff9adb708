"""The commissioning HTTP API: commissioners' calls, their 4xx answers, CSV reports."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.events.commissioning import DecommissionReason
from contracts.reference import Panel, Role, financial_year
from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.adapters.http import create_api
from services.commissioning.adapters.read_model import project
from services.commissioning.application.app import CommissioningApp
from services.commissioning.application.queries.providers import providers
from services.commissioning.application.tables import REPORTS
from tests.support import identity
from tests.support.identity import auth, verifier


def commissioner() -> dict[str, str]:
    return auth(Role.COMMISSIONER, "childrens-services", "comm-1")


@pytest.fixture
def client(tmp_path: Path) -> Any:
    settings = Settings(data_dir=tmp_path, **identity.settings())
    app = CommissioningApp(settings)
    app.today = lambda: date(2026, 11, 27)
    app.seed(date(2026, 11, 27))
    engine = read_model_engine(settings, "commissioning")
    Projector(app, engine, REPORTS, project, "reports").catch_up()
    api = create_api(app, verifier(), engine, settings, lambda: {"store": True, "broker": True})
    client = TestClient(api, raise_server_exceptions=False)
    client.app_under_test = app
    client.catch_up = Projector(app, engine, REPORTS, project, "reports").catch_up
    return client


def test_a_capacity_set_twice_with_one_key_is_recorded_once(client: Any) -> None:
    keyed = {**commissioner(), "Idempotency-Key": "web-capacity-0001"}
    for _ in range(2):
        r = client.put("/providers/pvi-12/capacity", headers=keyed, json={"weekly_capacity": 70})
        assert (r.status_code, r.json()["weekly_capacity"]) == (200, 70), r.text
    app = client.app_under_test
    provider_id = next(
        p.id
        for p in providers(app, Caller.of("comm-1", Role.COMMISSIONER, "childrens-services"))
        if p.provider_id == "pvi-12"
    )
    changes = [type(e).__name__ for e in app.events.get(provider_id)][1:]
    assert len(changes) == 1, changes


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
    savings = client.get("/reports/savings", headers=commissioner()).json()
    assert (savings["from"], savings["to"]) == ("2026-04-01", "2027-03-31")  # this year
    assert savings["summary"].startswith("£0 saved from 2026-04-01 to 2027-03-31")
    r = client.get(
        "/reports/savings.csv",
        params={"from": "2026-12-01", "to": "2026-12-31"},
        headers=commissioner(),
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("period", "rule"),
    [
        ({"from": "2027-01-02", "to": "2027-01-01"}, "to (2027-01-01) is before from (2027-01-02)"),
        ({"from": "2000-01-01", "to": "2027-01-01"}, "a report covers at most ten years"),
    ],
)
def test_a_savings_period_that_cannot_be_is_422_naming_the_parameter(
    client: Any, period: dict[str, str], rule: str
) -> None:
    r = client.get("/reports/savings", params=period, headers=commissioner())
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "query.to"
    assert rule in r.text
    assert client.get("/reports/spend.csv", headers=commissioner()).status_code == 200


@pytest.mark.parametrize("fy", [str(10**30), "-1", "1999", "2101"])
def test_a_financial_year_out_of_range_is_422_not_500(client: Any, fy: str) -> None:
    r = client.get("/reports/spend", params={"fy": fy}, headers=commissioner())
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "query.fy"
    r = client.get(f"/budgets/earp/{fy}", headers=commissioner())
    assert r.status_code == 422, r.text
    r = client.get(f"/budgets/{fy}", headers=commissioner())
    assert r.status_code == 422, r.text


def test_a_year_s_budgets_are_read_in_one_answer_in_the_holders_order(client: Any) -> None:
    fy = financial_year(datetime.now(UTC).date()) + 1  # next year's: none set by default
    assert client.get(f"/budgets/{fy}", headers=commissioner()).json() == []
    for key, amount in (("jap:pct", 300), ("earp", 200), ("maag:harlow", 100)):
        r = client.put(
            f"/budgets/{key}/{fy}", headers=commissioner(), json={"amount_pence": amount}
        )
        assert r.status_code == 200, r.text
    found = client.get(f"/budgets/{fy}", headers=commissioner()).json()
    assert [(b["panel"], b["amount_pence"], b["left_pence"]) for b in found] == [
        ("maag:harlow", 100, 100),
        ("earp", 200, 200),
        ("jap:pct", 300, 300),
    ]
    assert client.get(f"/budgets/{fy}", headers=auth("referrer")).status_code == 403


def test_packages_change_only_as_the_panels_decide(client: Any) -> None:
    """ "recommissioning and decommissioning decisions are taken by the panels" (case study):
    commissioners have no route to review, recommission or decommission a package."""
    for path in ("/packages/{id}/reviews", "/packages/{id}/decommission"):
        r = client.post(path.format(id=uuid.uuid4()), headers=commissioner(), json={})
        assert r.status_code in (404, 405), path
    paths = client.app.openapi()["paths"]
    writes = [
        (p, m) for p, ops in paths.items() if p.startswith("/packages/") for m in ops if m != "get"
    ]
    assert not writes  # a package is read here, never changed


@pytest.mark.parametrize(
    ("fy", "rule"),
    [
        (2025, "fy: financial year 2025/26 closed on 2026-03-31; its budget stands"),
        (2028, "fy: a budget may be set for 2026/27 or 2027/28, not 2028/29 yet"),
    ],
)
def test_a_budget_for_a_closed_year_or_one_not_open_is_409_naming_the_rule(
    client: Any, fy: int, rule: str
) -> None:
    r = client.put(f"/budgets/earp/{fy}", headers=commissioner(), json={"amount_pence": 1})
    assert (r.status_code, r.json()["detail"]) == (409, rule)
    assert client.get(f"/budgets/earp/{fy}", headers=commissioner()).status_code == 404


def _bought_from_pvi_12(client: Any, case_id: uuid.UUID) -> str:
    """A MAAG package of mentoring (Brighter Futures, pvi-12, has it), its lead named."""
    from services.commissioning.application.commands import SERVICE
    from services.commissioning.application.commands.commission_package import (
        CommissionPackage,
    )
    from services.commissioning.application.commands.note_lead import NoteLead
    from services.commissioning.domain.values import FundingSplit, Intervention, LeadContact

    app = client.app_under_test
    mentoring = Intervention.model_validate(
        {
            "service": "mentoring",
            "hours_per_week": 2,
            "starts_on": "2026-12-07",
            "review_interval_weeks": 12,
            "estimated_weekly_cost_pence": 0,
            "preferred_provider_id": "pvi-12",
        }
    )
    package_id = uuid.uuid4()
    for command in (
        CommissionPackage(
            package_id=package_id,
            case_id=case_id,
            panel=Panel.MAAG,
            district="harlow",
            interventions=(mentoring,),
            alternative_to=(),
            funding_split=FundingSplit(),
            caller=SERVICE,
            correlation_id="c",
        ),
        NoteLead(
            case_id=case_id,
            professional_id="lp-1",
            contact=LeadContact("Lee Lead", "lee.lead@school.example"),
            caller=SERVICE,
            correlation_id="c",
        ),
    ):
        work = Work(app)
        app.handle(command, work)
        work.commit()
    client.catch_up()
    return str(package_id)


def provider(provider_id: str = "pvi-12") -> dict[str, str]:
    return auth(Role.PROVIDER, "pvi", f"staff-{provider_id}", provider=provider_id)


def test_a_provider_reads_the_packages_bought_from_it_and_whom_to_contact(client: Any) -> None:
    package_id = _bought_from_pvi_12(client, uuid.uuid4())
    mine = client.get("/provider/packages", headers=provider())
    assert mine.status_code == 200, mine.text
    (listed,) = mine.json()
    assert listed["package_id"] == package_id and listed["starts_on"] == "2026-12-07"
    assert listed["lines"][0]["provider_id"] == "pvi-12"
    assert listed["lead"] == {"name": "Lee Lead", "work_email": "lee.lead@school.example"}
    one = client.get(f"/packages/{package_id}", headers=provider())
    assert one.status_code == 200 and one.json()["lead"]["name"] == "Lee Lead"
    # another provider's staff: not told the package exists; their list is empty
    assert client.get(f"/packages/{package_id}", headers=provider("pvi-99")).status_code == 404
    assert client.get("/provider/packages", headers=provider("pvi-99")).json() == []
    # the case closed: the provider reads it no more (its decommissioning email said so)
    from services.commissioning.application.commands import SERVICE
    from services.commissioning.application.commands.decommission_case import DecommissionCase

    case_id = uuid.UUID(one.json()["case_id"])
    work = Work(client.app_under_test)
    client.app_under_test.handle(
        DecommissionCase(
            case_id=case_id,
            reason=DecommissionReason.CASE_CLOSED,
            effective_from=date(2026, 12, 14),
            caller=SERVICE,
            correlation_id="c",
        ),
        work,
    )
    work.commit()
    assert client.get(f"/packages/{package_id}", headers=provider()).status_code == 404


@pytest.mark.parametrize(
    ("claim", "problem"),
    [(None, "names its provider"), ("Not A Provider!", "must be a provider's id")],
)
def test_a_providers_token_must_name_a_provider(client: Any, claim: Any, problem: str) -> None:
    token = identity.local().sign(
        identity.local().claims(identity.someone(Role.PROVIDER, "pvi", "staff-x"), provider=claim)
    )
    r = client.get("/provider/packages", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and problem in r.json()["detail"]
