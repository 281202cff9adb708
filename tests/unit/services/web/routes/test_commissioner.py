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


def test_the_commissioner_s_tray_lists_providers_and_budgets_near_their_limits(
    web: TestClient, provider: Provider, services: Services
) -> None:
    """At 90% of a provider's weekly capacity or a tenth of a budget left, it is listed
    (fullest first, least left first), each linking to where it is changed; a budget not set
    is not near anything."""
    commissioning = "http://commissioning.test"
    fy = financial_year(datetime.now(UTC).date())

    def provider_row(pid: str, name: str, used: float) -> dict[str, object]:
        use = round(100 * used / 10, 1)
        return {
            "provider_id": pid,
            "name": name,
            "weekly_capacity": 10,
            "used": used,
            "free": 10 - used,
            "use_percent": use,
        }

    services.answer(
        "GET",
        f"{commissioning}/reports/capacity",
        200,
        [
            provider_row("pvi-1", "Family Links <Essex>", 9),
            provider_row("pvi-2", "Home Start", 10),
            provider_row("pvi-3", "Roots", 5),
        ],
    )

    def budget(key: str, amount: int, left: int) -> None:
        body = {
            "panel": key,
            "financial_year": fy,
            "amount_pence": amount,
            "committed_pence": amount - left,
            "left_pence": left,
        }
        services.answer("GET", f"{commissioning}/budgets/{key}/{fy}", 200, body)

    budget("maag:harlow", 100_000_00, 10_000_00)  # a tenth left: near
    budget("earp", 50_000_00, 0)  # spent
    budget("maag:basildon", 100_000_00, 50_000_00)  # half left: not listed
    sign_in(web, provider, "commissioner-1", "commissioner")
    home = web.get("/").text
    assert "Near their limits" in home
    tray = home.split("Near their limits")[1]
    assert tray.index("Home Start") < tray.index("Family Links")  # fullest first
    assert 'href="/providers#capacity-pvi-2"' in tray and "Roots" not in tray
    assert "10 of 10 places, hours or sessions a week in use (100%)" in tray
    assert "9 of 10 places, hours or sessions a week in use (90%)" in tray
    assert "no new package can be commissioned from it" in tray
    assert "Full" in tray and "Near capacity" in tray
    assert "Family Links &lt;Essex&gt;</a>" in tray  # a name is text, never markup
    assert tray.index("The county EARP") < tray.index("Harlow MAAG")  # least left first
    assert f'href="/budgets?fy={fy}"' in tray and "Basildon" not in tray
    assert "£10,000 left of £100,000" in tray and "Spent" in tray
    assert f"By 31 March {fy + 1}" in tray
    # nothing near: said so
    services.answer("GET", f"{commissioning}/reports/capacity", 200, [])
    for key in ("maag:harlow", "earp"):
        budget(key, 100_00, 90_00)
    assert "Nothing is near its limit" in web.get("/").text


def test_the_commissioner_s_tray_is_not_asked_for_anyone_else(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    assert "Near their limits" not in web.get("/").text
    assert not [r for r in services.sent if "commissioning.test" in str(r.url)]
