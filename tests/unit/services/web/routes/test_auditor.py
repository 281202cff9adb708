"""The auditor's pages: each store's tamper check, and a case found by its id."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in


def test_an_auditor_finds_a_case_by_its_id_and_sees_each_store_s_check(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "auditor-1", "auditor")
    for service in ("referral", "commissioning", "notifications"):
        intact = {"service": service, "intact": True, "chained": 3}
        services.answer("GET", f"http://{service}.test/audit/store", 200, intact)
    services.answer("GET", "http://panel.test/audit/store", 500, {})
    page = web.get("/audit")
    assert page.status_code == 200 and page.text.count("Intact") == 3
    assert page.text.count("Did not answer") == 1  # the one that failed says so
    bad = web.get("/audit", params={"case_id": "nonsense"})
    assert bad.status_code == 400 and "Enter a case id" in bad.text
    case_id = uuid.uuid4()
    found = web.get("/audit", params={"case_id": f" {case_id} "})
    assert found.status_code == 303 and found.headers["location"] == f"/audit/cases/{case_id}"
    bad_time = web.get(f"/audit/cases/{case_id}", params={"as_of": "yesterday"})
    assert bad_time.status_code == 400 and "Enter the date and time" in bad_time.text
