"""A meeting's page and the chair's decisions sent to the panel API."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, directory, sign_in


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


# --- governance: the lead professional from the directory, apologies, interests, minutes ---


def _sitting_agenda(meeting: uuid.UUID, case_id: str, **more: object) -> dict[str, object]:
    return {
        "meeting_id": str(meeting),
        "panel": "maag",
        "district": "harlow",
        **_window(),
        "quorate": True,
        "missing_for_quorum": [],
        "attendance": [],
        "apologies": [],
        "absent": [],
        "minutes": None,
        "agenda": [
            {
                "case_id": case_id,
                "reason": "new referral",
                "status": "listed",
                "decisions": "",
                "declarations": [],
                "quorate": True,
                "missing_for_quorum": [],
                "minutes": None,
            }
        ],
        **more,
    }


def test_the_chair_picks_the_lead_professional_from_the_directory_by_name_and_agency(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "chair-1", "panel-chair", "panel-member")
    meeting, case_id = uuid.uuid4(), str(uuid.uuid4())
    url = f"http://panel.test/meetings/{meeting}"
    services.answer("GET", f"{url}/agenda", 200, _sitting_agenda(meeting, case_id))
    directory(
        services,
        "lead-professional",
        ("lead-police", "Pat Police", "police"),
        ("lead-education", "Lead professional education", "education"),
    )
    page = web.get(f"/meetings/{meeting}")
    assert page.status_code == 200
    # each with their agency, by agency; no id, name or email typed
    assert '<option value="lead-education">Lead professional education (education)</option>' in (
        page.text
    )
    assert page.text.index("lead-education") < page.text.index("lead-police")
    assert 'name="work_email"' not in page.text and 'name="name"' not in page.text
    services.answer("POST", f"{url}/decisions", 200, {})
    chosen = web.post(
        f"/meetings/{meeting}/decisions",
        data={
            "csrf_token": csrf,
            "idempotency_key": "k" * 32,
            "kind": "assign-lead-professional",
            "case_id": case_id,
            "item": "1",
            "what": "lead",
            "professional_id": "lead-education",
        },
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == f"/meetings/{meeting}"
    sent = services.one("POST", f"{url}/decisions")
    assert json.loads(sent.content) == {
        "kind": "assign-lead-professional",
        "case_id": case_id,
        "professional_id": "lead-education",
        "name": "Lead professional education",
        "agency": "education",
        "work_email": "lead-education@maag.example",
    }
    assert sent.headers["Idempotency-Key"] == "web-" + "k" * 32


def test_someone_not_a_lead_professional_in_the_directory_is_refused_naming_the_field(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "chair-1", "panel-chair", "panel-member")
    meeting, case_id = uuid.uuid4(), str(uuid.uuid4())
    url = f"http://panel.test/meetings/{meeting}"
    services.answer("GET", f"{url}/agenda", 200, _sitting_agenda(meeting, case_id))
    directory(services, "lead-professional", ("lead-police", "Pat Police", "police"))
    for chosen, said in (
        ("referrer-education", "Choose someone the directory holds as a lead professional"),
        ("", "Choose a lead professional from the list"),
    ):
        refused = web.post(
            f"/meetings/{meeting}/decisions",
            data={
                "csrf_token": csrf,
                "kind": "assign-lead-professional",
                "case_id": case_id,
                "item": "1",
                "what": "lead",
                "professional_id": chosen,
                "justification": "no capacity at the EARP",
            },
        )
        assert refused.status_code == 400
        assert 'href="#professional_id-1"' in refused.text  # the summary links to the field
        assert 'id="professional_id-1-error"' in refused.text and said in refused.text
        assert 'value="no capacity at the EARP"' in refused.text  # the answers kept
    assert not [r for r in services.sent if r.url.path.endswith("/decisions")]  # nothing sent


def test_a_declaration_without_what_the_interest_is_is_refused_with_the_answers_kept(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "panel-pvi", "panel-member")
    meeting, case_id = uuid.uuid4(), str(uuid.uuid4())
    url = f"http://panel.test/meetings/{meeting}"
    services.answer("GET", f"{url}/agenda", 200, _sitting_agenda(meeting, case_id))
    form = {"csrf_token": csrf, "case_id": case_id, "item": "1", "what": "declare"}
    blank = web.post(
        f"/meetings/{meeting}/declarations", data={**form, "interest": "  ", "withdraws": "yes"}
    )
    assert blank.status_code == 400
    assert 'href="#interest-1"' in blank.text and 'id="interest-1-error"' in blank.text
    assert "Say what the interest is" in blank.text
    assert re.search(r'value="yes" checked', blank.text)  # the answer kept
    assert not [r for r in services.sent if r.method == "POST"]
    services.answer("POST", f"{url}/declarations", 200, [])
    said = web.post(
        f"/meetings/{meeting}/declarations",
        data={**form, "interest": "our mentoring service may be commissioned", "withdraws": "yes"},
    )
    assert said.status_code == 303
    sent = services.one("POST", f"{url}/declarations")
    assert json.loads(sent.content) == {
        "case_id": case_id,
        "name": "Panel-Pvi",
        "interest": "our mentoring service may be commissioned",
        "withdraws": True,
    }
    assert sent.headers["Idempotency-Key"].startswith("web-")
    # after the decision: the service's refusal beside the field it names, answers kept
    services.answer(
        "POST",
        f"{url}/declarations",
        409,
        {"detail": "interest: the panel has already decided on this case at this meeting"},
    )
    late = web.post(
        f"/meetings/{meeting}/declarations",
        data={**form, "interest": "I know the family", "withdraws": "no"},
    )
    assert late.status_code == 409 and 'id="interest-1-error"' in late.text
    assert "The panel has already decided on this case at this meeting" in late.text
    assert "I know the family</textarea>" in late.text
    lead = sign_in(web, provider, "lead-1", "lead-professional")
    refused = web.post(f"/meetings/{meeting}/declarations", data={**form, "csrf_token": lead})
    assert refused.status_code == 403  # panel members only


def test_the_chair_minutes_the_meeting_and_each_case_and_a_member_sends_apologies(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "chair-1", "panel-chair", "panel-member")
    meeting, case_id = uuid.uuid4(), str(uuid.uuid4())
    url = f"http://panel.test/meetings/{meeting}"
    services.answer("GET", f"{url}/agenda", 200, _sitting_agenda(meeting, case_id))
    services.answer("POST", f"{url}/minutes", 200, {})
    general = web.post(
        f"/meetings/{meeting}/minutes",
        data={"csrf_token": csrf, "item": "general", "what": "minutes", "discussion": "Welcome"},
    )
    assert general.status_code == 303
    assert json.loads(services.one("POST", f"{url}/minutes").content) == {
        "discussion": "Welcome",
        "actions": "",
    }
    services.sent.clear()
    item = web.post(
        f"/meetings/{meeting}/minutes",
        data={
            "csrf_token": csrf,
            "item": "1",
            "what": "minutes",
            "case_id": case_id,
            "discussion": "Housing is at risk",
            "actions": "Lead to call the housing officer",
        },
    )
    assert item.status_code == 303
    assert json.loads(services.one("POST", f"{url}/minutes").content) == {
        "discussion": "Housing is at risk",
        "actions": "Lead to call the housing officer",
        "case_id": case_id,
    }
    blank = web.post(
        f"/meetings/{meeting}/minutes",
        data={"csrf_token": csrf, "item": "1", "what": "minutes", "case_id": case_id,
              "discussion": "", "actions": "Call the school"},
    )  # fmt: skip
    assert blank.status_code == 400 and 'id="discussion-1-error"' in blank.text
    assert "Call the school</textarea>" in blank.text
    services.answer(
        "POST",
        f"{url}/minutes",
        409,
        {"detail": "meeting_id: the meeting's window closed at 2026-12-01 10:00"},
    )
    closed = web.post(
        f"/meetings/{meeting}/minutes",
        data={"csrf_token": csrf, "item": "general", "what": "minutes", "discussion": "Late"},
    )
    assert closed.status_code == 409 and "window closed" in closed.text
    member = sign_in(web, provider, "member-1", "panel-member")
    refused = web.post(
        f"/meetings/{meeting}/minutes", data={"csrf_token": member, "discussion": "x"}
    )
    assert refused.status_code == 403  # the chair minutes the meeting
    services.answer("POST", f"{url}/apologies", 200, {})
    sent = web.post(f"/meetings/{meeting}/apologies", data={"csrf_token": member})
    assert sent.status_code == 303
    assert json.loads(services.one("POST", f"{url}/apologies").content) == {"name": "Member-1"}


def test_a_meeting_page_shows_who_came_apologised_or_is_absent_the_interests_and_minutes(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "member-1", "panel-member")
    meeting, case_id = uuid.uuid4(), str(uuid.uuid4())
    recorded = datetime.now(UTC).isoformat()
    agenda = _sitting_agenda(
        meeting,
        case_id,
        quorate=True,
        attendance=[{"person_id": "chair-1", "name": "Panel Chair", "agency": "social-care"}],
        apologies=[{"person_id": "p-h", "name": "Hal Housing", "agency": "housing"}],
        absent=[{"person_id": "p-p", "name": "Pam Police", "agency": "police"}],
        minutes={"discussion": "Budget update", "actions": "", "recorded_at": recorded},
    )
    agenda["agenda"] = [
        {
            "case_id": case_id,
            "reason": "new referral",
            "status": "decided",
            "decisions": "lead professional assigned",
            "declarations": [
                {
                    "person_id": "panel-pvi",
                    "name": "Vera Voluntary",
                    "agency": "pvi",
                    "interest": "our service may be commissioned",
                    "withdraws": True,
                }
            ],
            "quorate": False,
            "missing_for_quorum": ["1 more agency besides social care"],
            "minutes": {
                "discussion": "Tenancy ends this week",
                "actions": "Lead to call housing\nSchool to share attendance",
                "recorded_at": recorded,
            },
        }
    ]
    services.answer("GET", f"http://panel.test/meetings/{meeting}/agenda", 200, agenda)
    page = web.get(f"/meetings/{meeting}")
    assert page.status_code == 200
    text = page.text
    assert "Hal Housing (housing)" in text and "Pam Police (police)" in text
    assert "Budget update" in text and "Tenancy ends this week" in text
    assert "<li>School to share attendance</li>" in text
    assert "Vera Voluntary (pvi): our service may be commissioned. Withdrew from the decision." in (
        text
    )
    assert "1 declared, 1 withdrew" in text  # in the agenda, beside the decision
    assert "Not quorate for this case without those who withdrew" in text
    case_heading = f">MAAG-{case_id.split('-')[0].upper()}</h3>"
    assert case_heading in text  # the case's reference, not its id, heads its item
    assert "Declare an interest in this case" not in text  # decided: too late
    assert "Send my apologies" in text and "Record the minutes" not in text  # not the chair


# --- the agenda circulated to the panel's members ---


def _to_come(meeting: uuid.UUID, case_id: str, **more: object) -> dict[str, object]:
    """A meeting three days away, its agenda open until a day before it."""
    starts = datetime.now(UTC) + timedelta(days=3)
    when = {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=24)).isoformat(),
        "agenda_closes_at": (starts - timedelta(days=1)).isoformat(),
        "circulated": None,
    }
    return _sitting_agenda(meeting, case_id, **{**when, **more})


def test_a_member_circulates_the_agenda_before_its_cut_off_and_sees_when_it_was(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "coordinator-1", "panel-member")
    meeting, case_id = uuid.uuid4(), str(uuid.uuid4())
    url = f"http://panel.test/meetings/{meeting}"
    services.answer("GET", f"{url}/agenda", 200, _to_come(meeting, case_id))
    page = web.get(f"/meetings/{meeting}")
    assert page.status_code == 200 and "Not circulated yet." in page.text
    assert f'action="/meetings/{meeting}/circulation"' in page.text
    assert re.search(r">\s*Circulate the agenda\s*<", page.text)
    services.answer("POST", f"{url}/circulation", 200, {})
    sent = web.post(
        f"/meetings/{meeting}/circulation",
        data={"csrf_token": csrf, "idempotency_key": "c" * 32, "what": "circulate"},
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/meetings/{meeting}"
    asked = services.one("POST", f"{url}/circulation")
    assert asked.headers["Idempotency-Key"] == "web-" + "c" * 32  # a second click: the same
    # circulated, nothing listed since: said, and no button to send the same again
    at = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    circulated = {"number": 1, "circulated_at": at.isoformat(), "cases_listed": 1,
                  "changed_since": False}  # fmt: skip
    services.answer("GET", f"{url}/agenda", 200, _to_come(meeting, case_id) | {
        "circulated": circulated})  # fmt: skip
    page = web.get(f"/meetings/{meeting}")
    assert "Last circulated on" in page.text and "listing 1 case:" in page.text
    assert f'action="/meetings/{meeting}/circulation"' not in page.text
    # a case listed since: it may go again, as the revised agenda
    services.answer("GET", f"{url}/agenda", 200, _to_come(meeting, case_id) | {
        "circulated": circulated | {"changed_since": True}})  # fmt: skip
    page = web.get(f"/meetings/{meeting}")
    assert "Cases have been listed or taken off since." in page.text
    assert "Circulate the agenda again" in page.text


def test_a_refused_circulation_shows_in_the_summary_and_beside_it(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = sign_in(web, provider, "chair-1", "panel-chair", "panel-member")
    meeting, case_id = uuid.uuid4(), str(uuid.uuid4())
    url = f"http://panel.test/meetings/{meeting}"
    services.answer("GET", f"{url}/agenda", 200, _to_come(meeting, case_id))
    said = "the agenda was circulated at 2026-12-01 09:00 and no case has been listed or taken off since"
    services.answer("POST", f"{url}/circulation", 409, {"detail": f"meeting_id: {said}"})
    refused = web.post(f"/meetings/{meeting}/circulation", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert 'href="#circulation"' in refused.text  # the summary links to it
    assert 'id="circulation-error"' in refused.text and said[0].upper() + said[1:] in refused.text
    assert "<title>Error: " in refused.text
    services.one("POST", f"{url}/circulation")  # sent once
    lead = sign_in(web, provider, "lead-1", "lead-professional")
    refused = web.post(f"/meetings/{meeting}/circulation", data={"csrf_token": lead})
    assert refused.status_code == 403  # panel members only
    assert not [r for r in services.sent if r.url.path.endswith("/circulation")]


def test_after_the_cut_off_or_with_nothing_listed_no_agenda_is_offered_to_circulate(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "chair-1", "panel-chair", "panel-member")
    meeting, case_id = uuid.uuid4(), str(uuid.uuid4())
    url = f"http://panel.test/meetings/{meeting}/agenda"
    closed = _sitting_agenda(
        meeting, case_id, agenda_closes_at=(datetime.now(UTC) - timedelta(days=1)).isoformat()
    )
    services.answer("GET", url, 200, closed)
    page = web.get(f"/meetings/{meeting}")
    assert "Its agenda closed on" in page.text and "Not circulated yet." in page.text
    assert "/circulation" not in page.text
    services.answer("GET", url, 200, _to_come(meeting, case_id) | {"agenda": []})
    page = web.get(f"/meetings/{meeting}")
    assert "It can be circulated once a case is listed." in page.text
    assert "/circulation" not in page.text
    sign_in(web, provider, "auditor-1", "auditor")
    services.answer("GET", url, 200, _to_come(meeting, case_id))
    page = web.get(f"/meetings/{meeting}")
    assert page.status_code == 200 and "/circulation" not in page.text  # not a member
