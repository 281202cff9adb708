"""A meeting's page and the chair's decisions sent to the panel API."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in


def test_a_chair_s_decision_goes_to_the_panel_api_and_a_refusal_shows_on_the_meeting(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "chair-1", "panel-chair")
    meeting = uuid.uuid4()
    url = f"http://panel.test/meetings/{meeting}"
    services.answer("POST", f"{url}/decisions", 200, {})
    decided = web.post(
        f"/meetings/{meeting}/decisions",
        data={"csrf_token": csrf, "kind": "escalate", "case_id": "c", "to": "earp", "reason": "r"},
    )
    assert decided.status_code == 303 and decided.headers["location"] == f"/meetings/{meeting}"
    sent = services.one("POST", f"{url}/decisions")
    assert json.loads(sent.content) == {
        "kind": "escalate",
        "case_id": "c",
        "reason": "r",
        "to": "earp",
    }
    assert sent.headers["Idempotency-Key"].startswith("web-")
    agenda = {
        "meeting_id": str(meeting),
        "panel": "maag",
        "district": "harlow",
        "starts_at": "2026-12-01T10:00:00+00:00",
        "quorate": True,
        "missing_for_quorum": [],
        "attendance": [{"person_id": "chair-1", "name": "Chair", "agency": "education"}],
        "agenda": [],
    }
    services.answer("GET", f"{url}/agenda", 200, agenda)
    services.answer("POST", f"{url}/decisions", 409, {"detail": "the meeting is not quorate"})
    again = web.post(f"/meetings/{meeting}/decisions", data={"csrf_token": csrf, "kind": "defer"})
    assert again.status_code == 409 and "the meeting is not quorate" in again.text
    member = sign_in(web, provider, "member-1", "panel-member")
    refused = web.post(f"/meetings/{meeting}/decisions", data={"csrf_token": member})
    assert refused.status_code == 403  # only the chair decides


def test_a_meeting_s_review_form_offers_each_case_s_running_packages(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "chair-1", "panel-chair")
    meeting, reviewed, listed = uuid.uuid4(), str(uuid.uuid4()), str(uuid.uuid4())
    agenda = {
        "meeting_id": str(meeting),
        "panel": "maag",
        "district": "harlow",
        "starts_at": "2026-12-01T10:00:00+00:00",
        "quorate": True,
        "missing_for_quorum": [],
        "attendance": [],
        "agenda": [
            {"case_id": reviewed, "reason": "review", "status": "open", "decisions": []},
            {"case_id": listed, "reason": "new", "status": "open", "decisions": []},
        ],
    }
    services.answer("GET", f"http://panel.test/meetings/{meeting}/agenda", 200, agenda)
    packages = {
        "p-running": {"interventions": [{"service": "family therapy"}]},
        "p-ended": {"interventions": [{"service": "mentoring"}], "ended": "2026-10-01"},
    }
    services.answer("GET", f"http://panel.test/cases/{reviewed}", 200, {"packages": packages})
    page = web.get(f"/meetings/{meeting}")
    assert page.status_code == 200 and 'value="p-running"' in page.text
    assert "family therapy" in page.text and 'value="p-ended"' not in page.text
    assert "Confirm I am attending" in page.text  # the chair has not confirmed yet
    services.one("GET", f"http://panel.test/cases/{reviewed}")  # only the reviewed case asked
