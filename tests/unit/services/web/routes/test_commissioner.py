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
    services.answer("GET", f"http://commissioning.test/budgets/{fy}", 200, [])
    done = web.post("/budgets/earp", data={"csrf_token": csrf, "amount": "£1,250.50"})
    assert done.status_code == 303 and done.headers["location"] == f"/budgets?fy={fy}"
    assert json.loads(services.one("PUT", url).content) == {"amount_pence": 125050}
    services.answer("PUT", url, 422, {"detail": "x", "errors": [{"reason": "must be positive"}]})
    again = web.post("/budgets/earp", data={"csrf_token": csrf, "amount": "-1"})
    assert again.status_code == 400 and "earp: must be positive" in again.text
    assert "not set" in again.text  # the budgets not set show as such
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


def test_the_budgets_page_reads_the_year_s_budgets_in_one_call(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "commissioner-1", "commissioner")
    fy = financial_year(datetime.now(UTC).date())
    year = f"http://commissioning.test/budgets/{fy}"
    earp = {
        "panel": "earp",
        "financial_year": fy,
        "amount_pence": 123_456_00,
        "committed_pence": 23_456_00,
        "left_pence": 100_000_00,
    }
    services.answer("GET", year, 200, [earp])
    page = web.get("/budgets").text
    assert "£123,456" in page and "£100,000" in page
    assert page.count("not set") == 15  # every other holder's, from the same answer
    assert [str(r.url) for r in services.sent if "/budgets" in str(r.url)] == [year]
    # an answer that fails (commissioning not yet of this release) is not sixteen "not set"
    services.answer("GET", year, 404, {"detail": "Not Found"})
    failed = web.get("/budgets")
    assert failed.status_code == 404 and "not set" not in failed.text


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

    def budget(key: str, amount: int, left: int) -> dict[str, object]:
        return {
            "panel": key,
            "financial_year": fy,
            "amount_pence": amount,
            "committed_pence": amount - left,
            "left_pence": left,
        }

    # the year's budgets, in one answer
    services.answer(
        "GET",
        f"{commissioning}/budgets/{fy}",
        200,
        [
            budget("maag:harlow", 100_000_00, 10_000_00),  # a tenth left: near
            budget("earp", 50_000_00, 0),  # spent
            budget("maag:basildon", 100_000_00, 50_000_00),  # half left: not listed
        ],
    )
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
    roomy = [budget(key, 100_00, 90_00) for key in ("maag:harlow", "earp")]
    services.answer("GET", f"{commissioning}/budgets/{fy}", 200, roomy)
    assert "Nothing is near its limit" in web.get("/").text
    # budgets that could not be read are said so, not taken for "nothing near its limit"
    services.answer("GET", f"{commissioning}/budgets/{fy}", 404, {"detail": "Not Found"})
    home = web.get("/").text
    assert "The budgets could not be read just now" in home
    assert "Nothing is near its limit" not in home


def test_the_commissioner_s_tray_is_not_asked_for_anyone_else(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    assert "Near their limits" not in web.get("/").text
    assert not [r for r in services.sent if "commissioning.test" in str(r.url)]


def _failure(n: int, **more: object) -> dict[str, object]:
    """A failed commissioning as commissioning answers it."""
    return {
        "failure_id": f"00000000-0000-4000-8000-00000000000{n}",
        "case_id": f"{n}a2b3c4d-0000-4000-8000-000000000000",
        "package_id": f"{n}0000000-0000-4000-8000-000000000000",
        "panel": "maag",
        "district": "harlow",
        "review": False,
        "meeting_id": "90000000-0000-4000-8000-000000000000",
        "reason": "no-capacity",
        "detail": "no provider has 2 units a week of 'mentoring' free in harlow",
        "remedy": "capacity",
        "failed_at": "2026-11-27T10:00:00+00:00",
        "failed_on": "2026-11-27",
        "deal_with_by": "2026-12-01",
        "overdue": False,
        **more,
    }


def test_the_commissioner_s_tray_lists_failed_commissioning_first_each_with_what_to_do(
    web: TestClient, provider: Provider, services: Services
) -> None:
    """Before what is near its limit: each package that could not be commissioned (in the
    order commissioning gives, overdue first), by case reference and panel (never a child's
    name), why, the day it failed and whether it is overdue, linking to where room or money
    is found; one that is the panel's own to decide says so; none: said so."""
    commissioning = "http://commissioning.test"
    fy = financial_year(datetime.now(UTC).date())
    services.answer(
        "GET",
        f"{commissioning}/failures",
        200,
        [
            _failure(1, overdue=True, failed_on="2026-11-20", deal_with_by="2026-11-24"),
            _failure(
                2,
                panel="earp",
                district=None,
                reason="over-budget",
                remedy="budget",
                detail="needs £9,000.00 in 2026/27; £10.00 of earp's <£1> is left",
            ),
            _failure(3, reason="no-funding-split", remedy="panel", panel="jap", district=None),
            _failure(4, reason="no-interventions", remedy="panel", review=True),
        ],
    )
    sign_in(web, provider, "commissioner-1", "commissioner")
    home = web.get("/").text
    assert home.index("Packages that could not be commissioned") < home.index("Near their limits")
    tray = home.split("Packages that could not be commissioned")[1].split("Near their limits")[0]
    rows = tray.split("<tr")[2:]  # after the head's row
    assert len(rows) == 4
    assert "MAAG-1A2B3C4D, Harlow MAAG" in rows[0]
    assert "Failed 20 November 2026; due by 24 November 2026" in rows[0]
    assert "Overdue" in rows[0] and "Due<" not in rows[0]
    assert "No provider had room: no provider has 2 units a week of &#39;mentoring&#39;" in rows[0]
    assert '<a class="govuk-link" href="/providers">Find room: raise a provider' in rows[0]
    assert "MAAG-2A2B3C4D, EARP" in rows[1] and 'govuk-tag--blue">Due</strong>' in rows[1]
    assert "Failed 27 November 2026; due by 1 December 2026" in rows[1]
    assert "Not enough left in the budget" in rows[1] and "&lt;£1&gt;" in rows[1]  # text
    assert f'href="/budgets?fy={fy}">Find the money: raise the budget</a>' in rows[1]
    assert "JAP" in rows[2] and "The JAP agreed no funding split" in rows[2]
    assert "Nothing for commissioners to change: the panel decides again" in rows[2]
    assert "href=" not in rows[2]
    package = "/packages/40000000-0000-4000-8000-000000000000"
    assert f'<a class="govuk-link" href="{package}">See the package</a>' in rows[3]
    assert "(the change a review asked for)" in rows[3]
    assert "4a2b3c4d-0000" not in tray  # a case by its reference, not its id
    # none waiting: said so
    services.answer("GET", f"{commissioning}/failures", 200, [])
    assert "Every package the panels agreed has been commissioned" in web.get("/").text


def test_failed_commissioning_the_commissioner_may_not_read_leaves_the_rest_of_the_tray(
    web: TestClient, provider: Provider, services: Services
) -> None:
    services.answer("GET", "http://commissioning.test/failures", 403, {"detail": "forbidden"})
    sign_in(web, provider, "commissioner-1", "commissioner")
    home = web.get("/").text
    assert "Packages that could not be commissioned" not in home
    assert "Near their limits" in home
