"""A meeting's page and the chair's decisions sent to the panel API."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in


def _window(started: timedelta = timedelta(hours=1)) -> dict[str, str]:
    """A meeting that started `started` ago, its window 24 hours."""
    starts = datetime.now(UTC) - started
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=24)).isoformat(),
    }


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
        **_window(),
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
        **_window(),
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
    # each case listed is asked (a review may be brought forward with its case); the one
    # without a running package has no review form
    services.one("GET", f"http://panel.test/cases/{listed}")
    assert (
        page.text.count("Review this case&#39;s package")
        + page.text.count("Review this case's package")
        == 1
    )


def test_a_meeting_records_nothing_before_it_sits_or_after_and_says_when_it_does(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "chair-1", "panel-chair")
    meeting = uuid.uuid4()
    agenda = {
        "meeting_id": str(meeting),
        "panel": "earp",
        "district": None,
        "quorate": False,
        "missing_for_quorum": ["an SCF commissioner"],
        "attendance": [],
        "agenda": [{"case_id": "c-1", "reason": "escalated", "status": "listed", "decisions": ""}],
    }
    url = f"http://panel.test/meetings/{meeting}/agenda"
    for started, tag, said in (
        (timedelta(hours=-2), "To come", "recorded from its start until"),
        (timedelta(hours=25), "Ended", "carried to the panel's next meeting"),
    ):
        services.answer("GET", url, 200, {**agenda, **_window(started)})
        page = web.get(f"/meetings/{meeting}")
        assert page.status_code == 200 and tag in page.text and said in page.text
        assert "Confirm I am attending" not in page.text
        assert "Assign lead professional" not in page.text
    services.answer("GET", url, 200, {**agenda, **_window()})
    page = web.get(f"/meetings/{meeting}")
    assert "Sitting" in page.text and "Assign lead professional" in page.text


def test_a_panel_member_calls_the_case_s_panel_to_meet_now_and_lists_it_there(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "member-1", "panel-member")
    case_id, meeting = uuid.uuid4(), uuid.uuid4()
    case = {"case_id": str(case_id), "panel": "maag", "district": "harlow", "status": "active"}
    services.answer("GET", f"http://panel.test/cases/{case_id}", 200, case)
    services.answer("POST", "http://panel.test/meetings", 201, {"meeting_id": str(meeting)})
    listed = f"http://panel.test/meetings/{meeting}/agenda"
    services.answer("POST", listed, 200, {})
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    r = web.post(f"/cases/{case_id}/sitting", data={"csrf_token": csrf, "reason": "housing lost"})
    assert r.status_code == 303 and r.headers["location"] == f"/meetings/{meeting}"
    called = json.loads(services.one("POST", "http://panel.test/meetings").content)
    assert (called["panel"], called["district"]) == ("maag", "harlow")
    assert before <= datetime.fromisoformat(called["starts_at"]) <= datetime.now(UTC)
    sent = services.one("POST", listed)
    assert json.loads(sent.content) == {"case_id": str(case_id), "reason": "housing lost"}
    assert sent.headers["Idempotency-Key"].startswith("web-")
    again = web.post(f"/cases/{case_id}/sitting", data={"csrf_token": csrf, "reason": " "})
    assert again.status_code == 400
    assert "Enter why the case cannot wait for the panel" in again.text
    services.one("POST", "http://panel.test/meetings")  # no meeting called for nothing
    services.answer("POST", listed, 409, {"detail": "meeting_id: the case is held by the EARP"})
    refused_there = web.post(f"/cases/{case_id}/sitting", data={"csrf_token": csrf, "reason": "x"})
    assert refused_there.status_code == 409 and "held by the EARP" in refused_there.text
    lead = sign_in(web, provider, "lead-1", "lead-professional")
    refused = web.post(f"/cases/{case_id}/sitting", data={"csrf_token": lead, "reason": "x"})
    assert refused.status_code == 403  # panel members only


def test_a_panel_member_s_home_page_says_what_waits_at_their_meetings(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "member-1", "panel-member")
    meeting = str(uuid.uuid4())
    now = datetime.now(UTC)
    work = [
        {
            "kind": "left-undecided",
            "meeting_id": meeting,
            "panel": "maag",
            "district": "castle-point",
            "starts_at": (now - timedelta(days=2)).isoformat(),
            "due": (now - timedelta(days=1)).isoformat(),
            "overdue": True,
            "to_decide": 2,
            "reviews": 0,
            "quorate": None,
            "missing_for_quorum": [],
        },
        {
            "kind": "sitting",
            "meeting_id": meeting,
            "panel": "earp",
            "district": None,
            "starts_at": now.isoformat(),
            "due": (now + timedelta(hours=24)).isoformat(),
            "overdue": False,
            "to_decide": 1,
            "reviews": 0,
            "quorate": False,
            "missing_for_quorum": ["an SCF commissioner"],
        },
    ]
    services.answer("GET", "http://panel.test/my/work", 200, work)
    page = web.get("/")
    assert page.status_code == 200
    assert "MAAG Castle Point" in page.text and "2 cases left undecided" in page.text
    assert "Overdue" in page.text and f'href="/meetings/{meeting}"' in page.text
    assert "not quorate (missing an SCF commissioner); 1 case to decide" in page.text
    services.answer("GET", "http://panel.test/my/work", 200, [])
    assert "Nothing waits for you" in web.get("/").text
    sign_in(web, provider, "lead-1", "lead-professional")
    assert "Waiting for you at your panels" not in web.get("/").text  # not a panel member
