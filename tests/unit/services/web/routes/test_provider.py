"""A provider's staff: the packages running with their provider, each package's page with
whom to contact to start the work (and no link to a case page they may not open)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in

COMMISSIONING = "http://commissioning.test"


def _package(package_id: uuid.UUID) -> dict[str, object]:
    return {
        "package_id": str(package_id),
        "case_id": str(uuid.uuid4()),
        "panel": "maag",
        "district": "harlow",
        "status": "active",
        "lines": [
            {
                "service": "mentoring",
                "provider_id": "pvi-12",
                "units": 2.0,
                "weekly_cost_pence": 5000,
                "hours_per_week": 2.0,
                "sessions_per_week": None,
            }
        ],
        "weekly_cost_pence": 5000,
        "starts_on": "2026-12-07",
        "review_on": "2027-03-01",
        "ended_on": None,
        "funding_split": [],
        "alternative_to": [],
        "budgets": [{"budget": "maag:harlow", "percent": 100}],
        "lead": {"name": "Lee Lead", "work_email": "lee.lead@school.example"},
    }


def test_a_provider_sees_its_running_packages_and_whom_to_contact(
    web: TestClient, provider: Provider, services: Services
) -> None:
    package_id = uuid.uuid4()
    found = _package(package_id)
    services.answer("GET", f"{COMMISSIONING}/provider/packages", 200, [found])
    services.answer("GET", f"{COMMISSIONING}/packages/{package_id}", 200, found)
    sign_in(web, provider, "provider-pvi-12", "provider")
    listed = web.get("/provider/packages")
    assert listed.status_code == 200
    assert f'href="/packages/{package_id}"' in listed.text
    assert "Lee Lead (lee.lead@school.example)" in listed.text
    page = web.get(f"/packages/{package_id}")
    assert page.status_code == 200, page.text
    assert 'href="mailto:lee.lead@school.example"' in page.text
    assert 'href="/cases/' not in page.text  # a case page is not theirs to open
    assert 'href="/provider/packages"' in page.text  # their link in the navigation


def test_only_a_providers_staff_see_the_providers_list(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "commissioner-1", "commissioner")
    assert web.get("/provider/packages").status_code == 403
    assert not [r for r in services.sent if r.url.path == "/provider/packages"]
