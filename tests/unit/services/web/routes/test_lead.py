"""A case's page: each part as the service that holds it lets the person see it."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in


def test_the_case_page_shows_what_each_service_lets_the_person_see(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "lead-1", "lead-professional")
    case_id = uuid.uuid4()
    case = {
        "case_id": str(case_id),
        "status": "open",
        "panel": "maag",
        "district": "harlow",
        "level_of_need": 3,
        "lead_professional": None,
        "packages": {},
    }
    services.answer("GET", f"http://panel.test/cases/{case_id}", 200, case)
    services.answer("GET", f"http://panel.test/cases/{case_id}/history", 403, {"detail": "no"})
    child = {
        "given_name": "Tia",
        "family_name": "Brook",
        "date_of_birth": "2014-07-03",
        "address": "2 Lane",
    }
    services.answer("GET", f"http://referral.test/referrals/{case_id}", 200, {"child": child})
    page = web.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "Tia Brook" in page.text
    assert "Panel history" not in page.text and "No package has been agreed yet." in page.text
    services.answer("GET", f"http://panel.test/cases/{case_id}", 404, {"detail": "none"})
    assert web.get(f"/cases/{case_id}").status_code == 404
