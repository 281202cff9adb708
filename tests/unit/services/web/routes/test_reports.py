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
