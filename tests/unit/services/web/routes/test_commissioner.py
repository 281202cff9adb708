"""A budget set for this financial year (commissioning's rule, which the web app may not
import), and one that does not exist."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from contracts.reference import financial_year
from tests.unit.services.web.stand_ins import Provider, Services, sign_in


def test_the_financial_year_starts_in_april() -> None:
    assert financial_year(date(2027, 3, 31)) == 2026 and financial_year(date(2027, 4, 1)) == 2027


def test_a_budget_is_set_for_this_financial_year_and_an_unknown_one_is_not_found(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "commissioner-1", "commissioner")
    today = datetime.now(UTC).date()
    fy = today.year if (today.month, today.day) >= (4, 1) else today.year - 1
    url = f"http://commissioning.test/budgets/earp/{fy}"
    services.answer("PUT", url, 200, {})
    done = web.post("/budgets/earp", data={"csrf_token": csrf, "amount": "£1,250.50"})
    assert done.status_code == 303 and done.headers["location"] == f"/budgets?fy={fy}"
    assert json.loads(services.one("PUT", url).content) == {"amount_pence": 125050}
    services.answer("PUT", url, 422, {"detail": "x", "errors": [{"reason": "must be positive"}]})
    again = web.post("/budgets/earp", data={"csrf_token": csrf, "amount": "-1"})
    assert again.status_code == 400 and "earp: must be positive" in again.text
    assert "not set" in again.text  # the budgets this person may not read show as not set
    missing = web.post("/budgets/nowhere", data={"csrf_token": csrf, "amount": "1"})
    assert missing.status_code == 404


def test_next_years_budget_is_set_before_it_starts_and_a_closed_years_is_not_offered(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "commissioner-1", "commissioner")
    fy = financial_year(datetime.now(UTC).date())
    url = f"http://commissioning.test/budgets/earp/{fy + 1}"
    services.answer("PUT", url, 200, {})
    form = {"csrf_token": csrf, "amount": "£10", "fy": str(fy + 1)}
    done = web.post("/budgets/earp", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/budgets?fy={fy + 1}"
    assert json.loads(services.one("PUT", url).content) == {"amount_pence": 1000}
    closed = web.post("/budgets/earp", data={**form, "fy": str(fy - 1)})
    assert closed.status_code == 404
    assert web.get(f"/budgets?fy={fy - 1}").status_code == 404
