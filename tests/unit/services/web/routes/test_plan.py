"""The plan's pages: the Team Around the Child and the integrated plan in words, and each
change the lead professional makes (people chosen from the directory, never typed), with
errors by field, answers kept, and the form's key sent so that twice records once."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.web.routes.plan import next_ref, taken_by_another
from tests.unit.services.web.stand_ins import Provider, Services, directory, sign_in

CASE = str(uuid.uuid4())
PANEL = f"http://panel.test/cases/{CASE}"
PLAN = f"{PANEL}/plan"
PAGE = f"/cases/{CASE}/plan"


def _case(lead: str = "lead-1", status: str = "active") -> dict[str, Any]:
    return {
        "case_id": CASE,
        "status": status,
        "panel": "maag",
        "district": "harlow",
        "level_of_need": 3,
        "lead_professional": {
            "professional_id": lead,
            "name": "Sam Patel",
            "agency": "education",
            "work_email": "sam@school.example",
        },
        "packages": {
            str(uuid.uuid4()): {"panel": "maag", "interventions": [{"service": "family support"}]},
            str(uuid.uuid4()): {
                "panel": "maag",
                "interventions": [{"service": "old service"}],
                "ended": "done",
            },
        },
    }


def _plan(**over: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "case_id": CASE,
        "started": True,
        "team": {
            "lead-1": {"name": "Sam Patel", "organisation": "education", "role": "SENCo"},
            "hv-7": {"name": "Hana Visitor", "organisation": "primary-health", "role": "nurse"},
        },
        "meetings": [
            {
                "held_on": "2027-01-05",
                "attended": ["lead-1", "family"],
                "consent_reconfirmed": True,
                "summary": "first meeting with the family",
            }
        ],
        "needs": {"n1": "regular school attendance"},
        "goals": {
            "g1": {
                "need_id": "n1",
                "text": "attends 9 days in 10",
                "progress": [
                    {"status": "on-track", "note": "better mornings", "recorded_on": "2027-01-20"}
                ],
            }
        },
        "actions": {
            "a1": {
                "goal_id": "g1",
                "text": "walk to school together",
                "owner": "hv-7",
                "due_on": "2020-01-10",
                "intervention": "family support",
            }
        },
        "agreed": None,
        "reviews": [],
    }
    return plan | over


@pytest.fixture
def lead(web: TestClient, provider: Provider, services: Services) -> str:
    """The case's lead professional signed in, the case and its plan answered; the form token."""
    token = sign_in(web, provider, "lead-1", "lead-professional")
    services.answer("GET", PANEL, 200, _case())
    services.answer("GET", PLAN, 200, _plan())
    services.answer("POST", PLAN, 200, _plan())
    services.answer(
        "GET", f"http://referral.test/referrals/{CASE}", 200, {"caf_reference": "CAF-9"}
    )
    directory(
        services,
        "lead-professional",
        ("lead-1", "Sam Patel", "education"),
        ("lead-camhs", "Cai Morgan", "camhs"),
    )
    return token


def _sent(services: Services) -> list[dict[str, Any]]:
    return [
        json.loads(r.content) for r in services.sent if r.method == "POST" and str(r.url) == PLAN
    ]


def _key(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def _error(page: str, field: str) -> str:
    """The error message beside `field`, and that the summary links to it."""
    found = re.search(rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    assert found, page
    assert "govuk-error-summary" in page
    return re.sub(r"<[^>]+>", "", found.group(1)).replace("Error:", "").strip()


# --- the plan's page ---


def test_a_plan_not_started_is_started_by_its_lead_from_the_directory(
    web: TestClient, lead: str, services: Services
) -> None:
    services.answer("GET", PLAN, 200, {"case_id": CASE, "started": False})
    page = web.get(PAGE)
    assert page.status_code == 200 and "The plan has not been started yet" in page.text
    assert f'action="{PAGE}/team"' in page.text and "Start the plan" in page.text
    # the lead first, chosen from the directory; no one types an id
    assert '<option value="lead-1" selected>Sam Patel (education)</option>' in page.text
    assert '<option value="lead-camhs">Cai Morgan (camhs)</option>' in page.text
    assert 'value="Lead professional"' in page.text
    # the title names the case by its CAF reference, never the child
    assert "<title>Team around the child and plan · CAF-9 \u2013 MAAG</title>" in page.text


def test_the_plan_is_said_in_words_names_not_ids(
    web: TestClient, lead: str, services: Services
) -> None:
    page = web.get(PAGE).text
    for said in (
        "Sam Patel",
        "Hana Visitor",  # the action's owner, by name
        "Primary health",
        "5 January 2027",
        "Sam Patel, The family",  # who came to the meeting with the family
        "Need n1: regular school attendance",
        "Goal g1: attends 9 days in 10",
        "On track",
        "20 January 2027: On track: better mornings",
        "a1: walk to school together (part of family support)",
        "10 January 2020",
        'govuk-tag--red">Overdue',  # past its date, its goal not met
        "Not yet agreed",
        "The plan has not been reviewed yet",
    ):
        assert said in page, said
    assert "hv-7" not in page  # a person is never shown by their id
    # the lead's ways to change it
    for link in ("team", "meeting", "need", "goal?need_id=n1", "action?goal_id=g1", "agreement"):
        assert f'href="{PAGE}/{link}"' in page, link
    assert f'href="{PAGE}/review"' not in page  # reviewed once agreed


def test_an_agreed_and_reviewed_plan_shows_its_goals_met(
    web: TestClient, lead: str, services: Services
) -> None:
    agreed = {"agreed_on": "2027-01-25", "review_on": "2027-03-01"}
    review = {
        "review_number": 1,
        "reviewed_on": "2027-03-01",
        "outcomes": {"g1": "met"},
        "overall": "met",
    }
    services.answer("GET", PLAN, 200, _plan(agreed=agreed, reviews=[review]))
    page = web.get(PAGE).text
    assert "Agreed with the family on 25 January 2027" in page
    assert "Reviewed 1 time; the last on 1 March 2027" in page
    assert "Goal met" in page and "Overdue" not in page  # its goal met: nothing is due
    assert "g1: met" in page and f'href="{PAGE}/review"' in page


def test_the_panel_reads_the_plan_without_its_forms(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "member-1", "panel-member")
    services.answer("GET", PANEL, 200, _case())
    services.answer("GET", PLAN, 200, _plan())
    page = web.get(PAGE)
    assert page.status_code == 200 and "Hana Visitor" in page.text
    assert f'href="{PAGE}/need"' not in page.text
    services.answer("GET", PLAN, 200, {"case_id": CASE, "started": False})
    assert "The case's lead professional starts it" in web.get(PAGE).text
    assert web.get(f"{PAGE}/need").status_code == 403  # the forms are the lead's


def test_only_whom_the_service_lets_read_it_see_it(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "referrer-1", "referrer")
    services.sent.clear()  # what the home page asked
    refused = web.get(PAGE)
    assert refused.status_code == 403 and "You cannot see this page" in refused.text
    assert services.sent == []
    # a lead of another case: the panel service says no
    sign_in(web, provider, "lead-2", "lead-professional")
    services.answer("GET", PANEL, 200, _case())
    services.answer("GET", PLAN, 403, {"detail": "forbidden: not the case's lead"})
    refused = web.get(PAGE)
    assert refused.status_code == 403 and "You cannot see this" in refused.text


def test_a_closed_case_s_plan_is_read_not_changed(
    web: TestClient, lead: str, services: Services
) -> None:
    services.answer("GET", PANEL, 200, _case(status="closed"))
    assert f'href="{PAGE}/need"' not in web.get(PAGE).text
    refused = web.get(f"{PAGE}/need")
    assert refused.status_code == 403
    assert "Only the case&#39;s lead professional changes its plan" in refused.text


def test_a_change_the_plan_has_not_is_not_found(web: TestClient, lead: str) -> None:
    assert web.get(f"{PAGE}/everything").status_code == 404
    sent = web.post(f"{PAGE}/everything", data={"csrf_token": lead})
    assert sent.status_code == 404


def test_the_case_page_links_its_lead_to_the_plan(
    web: TestClient, lead: str, services: Services
) -> None:
    assert f'href="{PAGE}"' in web.get(f"/cases/{CASE}").text


# --- the team, from the directory ---


def test_someone_joins_the_team_chosen_from_the_directory(
    web: TestClient, lead: str, services: Services
) -> None:
    directory(services, "provider", ("pvi-3-staff", "Pat Vine", "pvi"))
    form = web.get(f"{PAGE}/team")
    assert form.status_code == 200
    assert '<option value="lead-camhs">Cai Morgan (camhs)</option>' in form.text
    assert "Pat Vine (pvi)" in form.text  # providers' staff may join too
    assert '<option value="lead-1"' not in form.text  # in the team already
    key = _key(form.text)
    data = {"csrf_token": lead, "idempotency_key": key, "member_id": "lead-camhs"}
    sent = web.post(f"{PAGE}/team", data=data | {"role": "CAMHS practitioner"})
    assert sent.status_code == 303 and sent.headers["location"] == f"{PAGE}#team"
    # its name and organisation as the directory has them
    assert _sent(services) == [
        {
            "kind": "add-member",
            "member_id": "lead-camhs",
            "name": "Cai Morgan",
            "organisation": "camhs",
            "role": "CAMHS practitioner",
        }
    ]
    assert services.one("POST", PLAN).headers["Idempotency-Key"] == f"web-{key}"


def test_someone_not_in_the_directory_is_refused_naming_the_field(
    web: TestClient, lead: str, services: Services
) -> None:
    data = {"csrf_token": lead, "member_id": "someone-typed", "role": "helper"}
    refused = web.post(f"{PAGE}/team", data=data)
    assert refused.status_code == 400 and "<title>Error: " in refused.text
    assert "only practitioners and providers" in _error(refused.text, "member_id")
    assert 'href="#member_id"' in refused.text
    assert 'value="helper"' in refused.text  # the answer kept
    assert _sent(services) == []
    nothing = web.post(f"{PAGE}/team", data={"csrf_token": lead, "member_id": ""})
    assert _error(nothing.text, "member_id") == "Choose who joins the team"
    assert _error(nothing.text, "role").startswith("Enter their role in the team")


def test_the_service_s_refusal_is_shown_beside_the_field_it_names(
    web: TestClient, lead: str, services: Services
) -> None:
    services.answer("POST", PLAN, 422, {"detail": "member_id: lead-camhs is in the team already"})
    data = {"csrf_token": lead, "member_id": "lead-camhs", "role": "another role"}
    refused = web.post(f"{PAGE}/team", data=data)
    assert refused.status_code == 400
    assert (
        _error(refused.text, "member_id") == "Who joins the team: lead-camhs is in the team already"
    )
    services.answer(
        "POST",
        PLAN,
        422,
        {
            "detail": "invalid request",
            "errors": [
                {"field": "body.add-member", "reason": "Value error, organisation: not one of x"}
            ],
        },
    )
    refused = web.post(f"{PAGE}/team", data=data)
    assert _error(refused.text, "member_id") == "Who joins the team: not one of x"


# --- needs, goals, actions ---


def test_a_need_and_a_goal_get_the_plan_s_next_references(
    web: TestClient, lead: str, services: Services
) -> None:
    need = web.get(f"{PAGE}/need").text
    assert '<input type="hidden" name="need_id" value="n2">' in need
    sent = web.post(
        f"{PAGE}/need",
        data={"csrf_token": lead, "need_id": "n2", "text": "sleep"},
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"{PAGE}#needs"
    goal = web.get(f"{PAGE}/goal", params={"need_id": "n1"}).text
    assert 'name="goal_id" value="g2"' in goal
    assert 'value="n1" checked' in goal  # the need chosen from the plan's page
    web.post(
        f"{PAGE}/goal",
        data={"csrf_token": lead, "goal_id": "g2", "need_id": "n1", "text": "on time"},
    )
    assert _sent(services) == [
        {"kind": "record-need", "need_id": "n2", "text": "sleep"},
        {"kind": "set-goal", "goal_id": "g2", "need_id": "n1", "text": "on time"},
    ]
    missing = web.post(f"{PAGE}/goal", data={"csrf_token": lead, "goal_id": "g2"})
    assert _error(missing.text, "need_id") == "Choose the need this goal meets"
    assert _error(missing.text, "text") == "Enter the goal"
    assert len(_sent(services)) == 2


def test_an_action_is_agreed_with_an_owner_from_the_team_and_a_due_date(
    web: TestClient, lead: str, services: Services
) -> None:
    form = web.get(f"{PAGE}/action", params={"goal_id": "g1"}).text
    assert 'name="action_id" value="a2"' in form
    assert '<option value="hv-7">Hana Visitor, nurse</option>' in form  # the team
    assert '<option value="family support">' in form and "old service" not in form
    data = {
        "csrf_token": lead,
        "action_id": "a2",
        "goal_id": "g1",
        "text": "morning routine chart",
        "owner": "hv-7",
        "due_on-day": "5",
        "due_on-month": "2",
        "due_on-year": "2027",
        "intervention": "family support",
    }
    sent = web.post(f"{PAGE}/action", data=data)
    assert sent.status_code == 303
    assert _sent(services) == [
        {
            "kind": "agree-action",
            "action_id": "a2",
            "goal_id": "g1",
            "text": "morning routine chart",
            "owner": "hv-7",
            "due_on": "2027-02-05",
            "intervention": "family support",
        }
    ]


def test_a_due_date_that_is_not_a_date_is_refused_with_the_answers_kept(
    web: TestClient, lead: str, services: Services
) -> None:
    data = {
        "csrf_token": lead,
        "action_id": "a2",
        "goal_id": "g1",
        "text": "morning routine chart",
        "owner": "hv-7",
        "due_on-day": "31",
        "due_on-month": "13",
        "due_on-year": "2027",
    }
    refused = web.post(f"{PAGE}/action", data=data)
    assert refused.status_code == 400 and "<title>Error: Agree an action" in refused.text
    assert _error(refused.text, "due_on").startswith("Enter the date it is due as a real date")
    assert 'href="#due_on-day"' in refused.text  # the summary links to the day's box
    assert "morning routine chart</textarea>" in refused.text
    assert '<option value="hv-7" selected>' in refused.text
    assert '<option value="g1" selected>' in refused.text
    assert 'name="due_on-month" type="text" value="13"' in refused.text
    assert _sent(services) == []


def test_an_owner_the_service_refuses_is_named_beside_the_owner(
    web: TestClient, lead: str, services: Services
) -> None:
    services.answer("POST", PLAN, 422, {"detail": "owner: x-1 is not in the team around the child"})
    data = {
        "csrf_token": lead,
        "action_id": "a2",
        "goal_id": "g1",
        "text": "t",
        "owner": "x-1",
        "due_on-day": "1",
        "due_on-month": "2",
        "due_on-year": "2027",
    }
    refused = web.post(f"{PAGE}/action", data=data)
    assert _error(refused.text, "owner") == "Who owns it: x-1 is not in the team around the child"
    services.answer("POST", PLAN, 409, {"detail": "key reused for another request"})
    refused = web.post(f"{PAGE}/action", data=data)
    assert refused.status_code == 409 and "key reused for another request" in refused.text


def test_a_reference_taken_in_another_tab_meanwhile_is_said_not_lost(
    web: TestClient, lead: str, services: Services
) -> None:
    # the service kept another tab's n1 and recorded nothing of this one
    data = {"csrf_token": lead, "need_id": "n1", "text": "housing"}
    refused = web.post(f"{PAGE}/need", data=data)
    assert refused.status_code == 409 and "The plan changed while you were writing" in refused.text
    assert "housing</textarea>" in refused.text
    assert 'name="need_id" value="n2"' in refused.text  # the next reference, to send again


def test_the_same_form_sent_twice_carries_the_same_key(
    web: TestClient, lead: str, services: Services
) -> None:
    key = _key(web.get(f"{PAGE}/need").text)
    data = {"csrf_token": lead, "idempotency_key": key, "need_id": "n2", "text": "sleep"}
    web.post(f"{PAGE}/need", data=data)
    web.post(f"{PAGE}/need", data=data)
    keys = {r.headers["Idempotency-Key"] for r in services.sent if r.method == "POST"}
    assert keys == {f"web-{key}"}  # the service records it once


# --- meetings, progress, agreement, review ---


def test_a_meeting_with_the_family_names_who_came_from_the_team(
    web: TestClient, lead: str, services: Services
) -> None:
    form = web.get(f"{PAGE}/meeting").text
    assert 'value="family"' in form and 'value="hv-7"' in form and "Hana Visitor, nurse" in form
    data = {
        "csrf_token": lead,
        "held_on-day": "4",
        "held_on-month": "1",
        "held_on-year": "2025",
        "attended": ["hv-7", "family"],
        "consent_reconfirmed": "yes",
        "summary": "the plan talked through",
    }
    assert web.post(f"{PAGE}/meeting", data=data).headers["location"] == f"{PAGE}#meetings"
    assert _sent(services) == [
        {
            "kind": "record-meeting",
            "held_on": "2025-01-04",
            "attended": ["hv-7", "family"],
            "consent_reconfirmed": True,
            "summary": "the plan talked through",
        }
    ]
    later = data | {"held_on-year": "2999", "attended": [], "consent_reconfirmed": ""}
    refused = web.post(f"{PAGE}/meeting", data=later)
    assert refused.status_code == 400
    assert _error(refused.text, "held_on") == "The date of the meeting must be today or in the past"
    assert _error(refused.text, "attended") == "Choose who came to the meeting"
    assert "reconfirmed their consent" in _error(refused.text, "consent_reconfirmed")
    assert "the plan talked through</textarea>" in refused.text


def test_progress_is_recorded_towards_a_goal(
    web: TestClient, lead: str, services: Services
) -> None:
    form = web.get(f"{PAGE}/progress", params={"goal_id": "g1"}).text
    assert '<option value="g1" selected>' in form and 'name="recorded_on-day"' in form
    data = {
        "csrf_token": lead,
        "goal_id": "g1",
        "status": "met",
        "note": "every day this month",
        "recorded_on-day": "1",
        "recorded_on-month": "3",
        "recorded_on-year": "2025",
    }
    assert web.post(f"{PAGE}/progress", data=data).status_code == 303
    assert _sent(services)[-1] == {
        "kind": "record-progress",
        "goal_id": "g1",
        "status": "met",
        "note": "every day this month",
        "recorded_on": "2025-03-01",
    }
    refused = web.post(f"{PAGE}/progress", data=data | {"status": "done"})
    assert _error(refused.text, "status") == "Choose how the goal is going"


def test_the_plan_is_agreed_with_its_review_date(
    web: TestClient, lead: str, services: Services
) -> None:
    assert "When it will be reviewed" in web.get(f"{PAGE}/agreement").text
    data = {
        "csrf_token": lead,
        "agreed_on-day": "25",
        "agreed_on-month": "1",
        "agreed_on-year": "2025",
        "review_on-day": "1",
        "review_on-month": "3",
        "review_on-year": "2025",
    }
    assert web.post(f"{PAGE}/agreement", data=data).headers["location"] == f"{PAGE}#agreement"
    assert _sent(services) == [
        {"kind": "agree-plan", "agreed_on": "2025-01-25", "review_on": "2025-03-01"}
    ]
    early = data | {"review_on-year": "2024"}
    refused = web.post(f"{PAGE}/agreement", data=early)
    assert "on or after the day it is agreed" in _error(refused.text, "review_on")
    # a plan rule the service names, not a field of the form: in the summary
    services.answer("POST", PLAN, 422, {"detail": "goals: g2 have no action yet"})
    refused = web.post(f"{PAGE}/agreement", data=data)
    assert refused.status_code == 400 and "G2 have no action yet" in refused.text


def test_the_plan_is_reviewed_with_an_outcome_for_every_goal(
    web: TestClient, lead: str, services: Services
) -> None:
    agreed = {"agreed_on": "2027-01-25", "review_on": "2027-03-01"}
    services.answer("GET", PLAN, 200, _plan(agreed=agreed))
    form = web.get(f"{PAGE}/review").text
    assert '<input type="hidden" name="goal" value="g1">' in form
    assert "Goal 1 (g1): attends 9 days in 10" in form
    data = {
        "csrf_token": lead,
        "reviewed_on-day": "1",
        "reviewed_on-month": "3",
        "reviewed_on-year": "2025",
        "goal": "g1",
    }
    refused = web.post(f"{PAGE}/review", data=data)
    assert _error(refused.text, "outcome-g1") == "Choose how goal 1 went"
    assert web.post(f"{PAGE}/review", data=data | {"outcome-g1": "met"}).status_code == 303
    assert _sent(services) == [
        {
            "kind": "review-plan",
            "reviewed_on": "2025-03-01",
            "outcomes": [{"goal_id": "g1", "outcome": "met"}],
        }
    ]
    services.answer("GET", PLAN, 200, _plan())
    assert "agree the plan</a> first" in web.get(f"{PAGE}/review").text


# --- pure parts ---


def test_the_plan_s_next_reference_follows_the_highest_given() -> None:
    assert next_ref("a", []) == "a1"
    assert next_ref("a", ["a1", "a7", "a-x", "g9"]) == "a8"


def test_a_reference_is_taken_only_when_the_plan_holds_something_else_under_it() -> None:
    plan: Any = _plan()
    need = {"kind": "record-need", "need_id": "n1", "text": "regular school attendance"}
    assert not taken_by_another(need, plan)  # the same again: a retry
    assert taken_by_another(need | {"text": "housing"}, plan)
    assert not taken_by_another(need | {"need_id": "n2"}, plan)
    assert not taken_by_another({"kind": "agree-plan"}, plan)
    erased: Any = _plan(needs={"n1": None})
    assert not taken_by_another(need | {"text": "housing"}, erased)  # cannot tell: kept
