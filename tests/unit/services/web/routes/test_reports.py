"""The reports: a CSV download, and a period the service refuses named on the page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in


def test_a_report_downloads_as_csv_and_a_period_the_service_refuses_is_named(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "auditor-1", "auditor")
    services.answer("GET", "http://commissioning.test/reports/savings.csv", 200, "a,b\n1,2\n")
    csv = web.get("/reports/savings.csv", params={"from": "2026-04-01", "x": "y"})
    assert csv.status_code == 200 and csv.text == "a,b\n1,2\n"
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="maag-savings.csv"'
    sent = services.one("GET", "http://commissioning.test/reports/savings.csv")
    assert dict(sent.url.params) == {"from": "2026-04-01"}
    assert web.get("/reports/other.csv").status_code == 404
    refusal = {"detail": "x", "errors": [{"reason": "from must come before to"}]}
    services.answer("GET", "http://commissioning.test/reports/boards", 422, refusal)
    page = web.get("/reports/boards", params={"from": "2027-01-01", "to": "2026-01-01"})
    assert page.status_code == 400 and "from must come before to" in page.text
    services.answer("GET", "http://commissioning.test/reports/spend", 200, [])
    spend = web.get("/reports/spend")
    assert spend.status_code == 200 and "Nothing is committed yet this year." in spend.text


def _no_boards() -> object:
    """The boards' report of a period with nothing in it, as the service answers it."""
    from datetime import date

    from pydantic import TypeAdapter

    from services.commissioning.domain.boards import BoardReport, Grouping, report

    found = report([], [], date(2026, 4, 1), date(2027, 3, 31), Grouping.BOARD_AREA)
    return TypeAdapter(BoardReport).dump_python(found, mode="json")


EQUALITY = {
    "first": "2026-04-01",
    "last": "2027-03-31",
    "referrals": 13,
    "suppressed_under": 5,
    "by_sex": [
        {"value": "female", "count": 6, "suppressed": False},
        {"value": "male", "count": None, "suppressed": True},
    ],
    "by_ethnicity": [{"value": "black-african", "count": None, "suppressed": True}],
    "by_age_band": [{"value": "5-9", "count": 13, "suppressed": False}],
}


def test_the_boards_page_shows_the_equality_figures_suppressed_and_the_extract_to_commissioners(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "commissioner-1", "commissioner")
    services.answer("GET", "http://commissioning.test/reports/boards", 200, _no_boards())
    services.answer("GET", "http://referral.test/reports/equality", 200, EQUALITY)
    page = web.get("/reports/boards", params={"from": "2026-04-01"})
    assert page.status_code == 200, page.text
    sent = services.one("GET", "http://referral.test/reports/equality")
    assert dict(sent.url.params) == {"from": "2026-04-01"}
    assert "Which children: equality monitoring" in page.text
    assert "Black or Black British: African" in page.text and "fewer than 5" in page.text
    assert 'href="/reports/episodes.csv?from=2026-04-01&amp;to=2027-03-31"' in page.text
    services.answer("GET", "http://referral.test/reports/episodes.csv", 200, "case_id\nx\n")
    csv = web.get("/reports/episodes.csv", params={"from": "2026-04-01"})
    assert csv.status_code == 200 and csv.text == "case_id\nx\n"


def test_an_auditor_sees_the_figures_but_is_not_offered_the_extract(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "auditor-1", "auditor")
    services.answer("GET", "http://commissioning.test/reports/boards", 200, _no_boards())
    services.answer("GET", "http://referral.test/reports/equality", 200, EQUALITY)
    page = web.get("/reports/boards").text
    assert "fewer than 5" in page and "episodes.csv" not in page


def test_with_fewer_than_five_referrals_no_equality_figure_is_shown(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "auditor-1", "auditor")
    services.answer("GET", "http://commissioning.test/reports/boards", 200, _no_boards())
    few = {
        **EQUALITY,
        "referrals": None,
        "by_sex": [{"value": "female", "count": None, "suppressed": True}],
    }
    services.answer("GET", "http://referral.test/reports/equality", 200, few)
    page = web.get("/reports/boards").text
    assert "Fewer than 5 referrals were received 1 April 2026 to 31 March 2027" in page
