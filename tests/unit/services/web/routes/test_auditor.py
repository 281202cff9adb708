"""The auditor's pages: each store's tamper check (the latest walk, or one now), and a case
found by its id, its timeline a page at a time."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from services.web.pages import audit_words
from tests.unit.services.web.stand_ins import Provider, Services, sign_in


def test_an_auditor_finds_a_case_by_its_id_and_sees_each_store_s_check(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "auditor-1", "auditor")
    for service in ("referral", "commissioning", "notifications"):
        intact = {"service": service, "intact": True, "chained": 3}
        walked = {**intact, "walked_at": "2026-12-06T09:15:00+00:00"}
        services.answer("GET", f"http://{service}.test/audit/store/latest", 200, walked)
        services.answer("GET", f"http://{service}.test/audit/store", 200, intact)
    services.answer("GET", "http://panel.test/audit/store/latest", 500, {})
    services.answer("GET", "http://panel.test/audit/store", 500, {})
    page = web.get("/audit")
    assert page.status_code == 200 and page.text.count("Intact") == 3
    assert page.text.count("Did not answer") == 1  # the one that failed says so
    assert page.text.count("6 December 2026 09:15") == 3  # when each was walked
    assert not [r for r in services.sent if r.url.path == "/audit/store"]  # none walked now
    now = web.get("/audit/stores")  # asked to walk now
    assert now.status_code == 200 and now.text.count("Intact") == 3
    assert len([r for r in services.sent if r.url.path == "/audit/store"]) == 4
    bad = web.get("/audit", params={"case_id": "nonsense"})
    assert bad.status_code == 400 and "Enter a case id" in bad.text
    case_id = uuid.uuid4()
    found = web.get("/audit", params={"case_id": f" {case_id} "})
    assert found.status_code == 303 and found.headers["location"] == f"/audit/cases/{case_id}"
    bad_time = web.get(f"/audit/cases/{case_id}", params={"as_of": "yesterday"})
    assert bad_time.status_code == 400 and "Enter the date and time" in bad_time.text


def test_a_case_s_timeline_is_shown_a_page_at_a_time(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "auditor-1", "auditor")
    case_id = uuid.uuid4()
    entry = {
        "at": "2026-12-06T09:15:00+00:00",
        "service": "panel",
        "event": "PanelCase.LeadProfessionalAssigned",
        "actor": {"user_id": "chair-1", "role": "panel-chair", "agency": "county-panel"},
        "basis": None,
    }
    url = f"http://referral.test/audit/cases/{case_id}/timeline"
    services.answer(
        "GET",
        url,
        200,
        {
            "entries": [entry],
            "total": 250,
            "earlier": 149,
            "before": "2026-12-06T09:15:00+00:00|panel|x|2",
            "state": {"status": "decided"},
        },
    )
    page = web.get(f"/audit/cases/{case_id}", params={"before": "c"})
    assert page.status_code == 200
    asked = services.one("GET", url)
    assert asked.url.params["limit"] == "100" and asked.url.params["before"] == "c"
    assert "Events 150 to 150 of 250" in page.text
    assert "Panel case: lead professional assigned" in page.text  # not the class's name
    assert "LeadProfessionalAssigned" not in page.text
    earlier = "before=2026-12-06T09%3A15%3A00%2B00%3A00%7Cpanel%7Cx%7C2"
    assert earlier in page.text.replace("&amp;", "&")  # the earlier page's link
    assert f'href="/audit/cases/{case_id}"' in page.text  # back to the newest


@pytest.mark.parametrize(
    ("stored", "said"),
    [
        ("PanelCase.LeadProfessionalAssigned", "Panel case: lead professional assigned"),
        ("PanelCase.PackageRequested", "Panel case: package agreed"),
        ("Referral.Received", "Referral: received"),
        ("CaseRead.Recorded", "Case read"),
        ("Received", "Received"),
    ],
)
def test_the_timeline_names_events_in_words(stored: str, said: str) -> None:
    assert audit_words(stored) == said
