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


def test_a_case_is_headed_as_people_know_it_and_its_history_in_their_words(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "member-1", "panel-member")
    case_id = uuid.uuid4()
    case = {
        "case_id": str(case_id),
        "status": "active",
        "panel": "earp",
        "district": "castle-point",
        "level_of_need": 3,
        "lead_professional": None,
        "packages": {},
    }
    history = [
        {"event": "LeadProfessionalAssigned", "at": "2027-06-01T09:00:00+00:00"},
        {"event": "Escalated", "at": "2027-06-01T09:05:00+00:00", "to_panel": "earp"},
        {"event": "SomethingNewlyRecorded", "at": "2027-06-02T09:05:00+00:00"},
    ]
    panel = f"http://panel.test/cases/{case_id}"
    services.answer("GET", panel, 200, case)
    services.answer("GET", f"{panel}/history", 200, history)
    referral = f"http://referral.test/referrals/{case_id}"
    # no referral to read: the district
    page = web.get(f"/cases/{case_id}")
    assert '<h1 class="govuk-heading-l">A case in Castle Point</h1>' in page.text
    assert str(case_id) in page.text  # in the caption, to match an email or a colleague
    # the panel's history in words, at the county's time (British Summer Time in June)
    assert "Lead professional assigned" in page.text and "LeadProfessionalAssigned" not in page.text
    assert "Escalated to the EARP" in page.text and "Something newly recorded" in page.text
    assert "1 June 2027 10:00" in page.text
    # the referral's CAF reference; the child's name where the reader may see it
    services.answer("GET", referral, 200, {"caf_reference": "CAF-2027-000123", "child": None})
    assert '<h1 class="govuk-heading-l">CAF-2027-000123</h1>' in web.get(f"/cases/{case_id}").text
    child = {"given_name": "Tia", "family_name": "Brook", "date_of_birth": "2014-07-03"}
    services.answer("GET", referral, 200, {"caf_reference": "CAF-2027-000123", "child": child})
    page = web.get(f"/cases/{case_id}")
    assert '<h1 class="govuk-heading-l">Tia Brook</h1>' in page.text
    assert "CAF-2027-000123 · Castle Point" in page.text


def test_a_lead_s_home_page_says_what_is_due_on_their_cases(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "lead-1", "lead-professional")
    case_id = str(uuid.uuid4())
    due = [
        {
            "case_id": case_id,
            "kind": "action",
            "ref": "a2",
            "due_on": "2027-01-15",
            "overdue": True,
        },
        {
            "case_id": case_id,
            "kind": "package-review",
            "ref": str(uuid.uuid4()),
            "due_on": "2027-03-01",
            "overdue": False,
        },
    ]
    services.answer("GET", "http://panel.test/my/cases/due", 200, due)
    page = web.get("/").text
    assert "Due on the cases you lead" in page and f'href="/cases/{case_id}"' in page
    assert "Plan action a2" in page and "15 January 2027" in page and "Overdue" in page
    assert "Package review" in page and "1 March 2027" in page
    services.answer("GET", "http://panel.test/my/cases/due", 200, [])
    assert "Nothing is due on your cases in the next four weeks" in web.get("/").text
