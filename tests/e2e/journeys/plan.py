"""The lead professional builds and reviews a case's plan on screens only: starts it, puts
someone from the directory on the team around the child, records a meeting with the family,
a need, a goal and an action with its owner and due date (a date that is not one refused,
the answers kept), progress, agrees the plan and reviews it; their home page lists the action
as due, and clears it once its goal is met at the review."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from contracts.reference import COUNTY_ZONE
from maag.ops.demo.client import wait_for
from tests.support.referral import details
from tests.support.system import System
from tests.support.web import check, person, sign_in

LEAD = "lead-education"
TEAM_MEMBER = "lead-camhs"  # another practitioner, from the directory


def _date(page: Page, name: str, on: date) -> None:
    page.fill(f"[name='{name}-day']", str(on.day))
    page.fill(f"[name='{name}-month']", str(on.month))
    page.fill(f"[name='{name}-year']", str(on.year))


def _open(page: Page, link: str | re.Pattern[str], change: str) -> None:
    """From the plan's page to a change's form, by its link."""
    page.get_by_role("link", name=link).click()
    page.wait_for_url(re.compile(rf"/plan/{change}(\?.*)?$"))


def _press(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()


def _home_says(page: Page, web: str, text: str) -> bool | None:
    page.goto(f"{web}/")
    return True if text in page.locator("main").inner_text() else None


def test_lead_builds_and_reviews_a_plan(system: System, web: str, browser: Browser) -> None:
    today = datetime.now(COUNTY_ZONE).date()
    client = system.client()
    consent = {
        "given_by": "parent-carer",
        "scope": ["education", "camhs"],
        "given_on": today.isoformat(),
        "how_obtained": "signed form at the CAF meeting",
    }
    case_id = client.refer(details(caf_reference="CAF-2026-310001", consent=consent))["case_id"]
    client.assign_lead(
        case_id, LEAD, "Lead professional education", "education", "sam.patel@school.example"
    )
    plan_url = f"{web}/cases/{case_id}/plan"
    on_plan = re.compile(rf"{re.escape(plan_url)}(#\w+)?$")

    # --- from the case's page to its plan, not started yet ---
    lead = person(browser)
    lead.goto(f"{web}/cases/{case_id}")
    sign_in(lead, LEAD)
    lead.get_by_role("link", name="Team around the child and plan").click()
    lead.wait_for_url(plan_url)
    expect(lead.locator("main")).to_contain_text("The plan has not been started yet")
    expect(lead.locator("#member_id")).to_have_value(LEAD)  # themselves first
    check(lead, "lead-10-plan-not-started")
    _press(lead, "Start the plan")
    lead.wait_for_url(on_plan)
    expect(lead.locator("#team ~ table").first).to_contain_text("Lead professional")

    # --- someone from the directory joins the team ---
    _open(lead, "Add someone to the team", "team")
    expect(lead.locator(f"#member_id option[value='{TEAM_MEMBER}']")).to_have_count(1)
    check(lead, "lead-11-plan-team")
    lead.select_option("#member_id", TEAM_MEMBER)
    lead.fill("#role", "CAMHS practitioner")
    _press(lead, "Add to the team")
    lead.wait_for_url(on_plan)
    expect(lead.locator("main")).to_contain_text("CAMHS practitioner")

    # --- a meeting with the family ---
    _open(lead, "Record a meeting with the family", "meeting")
    expect(lead.locator("[name='held_on-year']")).to_have_value(str(today.year))
    check(lead, "lead-12-plan-meeting")
    lead.check("[name='attended'][value='family']")
    lead.check(f"[name='attended'][value='{TEAM_MEMBER}']")
    lead.check("[name='consent_reconfirmed'][value='yes']")
    lead.fill("#summary", "talked through mornings and the school run")
    _press(lead, "Record the meeting")
    lead.wait_for_url(on_plan)
    expect(lead.locator("main")).to_contain_text("The family")

    # --- a need, a goal towards it ---
    _open(lead, "Record a need", "need")
    check(lead, "lead-13-plan-need")
    lead.fill("#text", "regular school attendance")
    _press(lead, "Record the need")
    lead.wait_for_url(on_plan)
    expect(lead.locator("main")).to_contain_text("Need n1: regular school attendance")
    _open(lead, re.compile("^Set a goal"), "goal")
    expect(lead.locator("#need_id")).to_be_checked()  # the need it was set from
    check(lead, "lead-14-plan-goal")
    lead.fill("#text", "attends school at least 9 days in 10")
    _press(lead, "Set the goal")
    lead.wait_for_url(on_plan)
    expect(lead.locator("main")).to_contain_text("Goal g1: attends school")

    # --- an action: a due date that is not a date is refused, the answers kept ---
    _open(lead, re.compile("^Agree an action"), "action")
    expect(lead.locator("#goal_id")).to_have_value("g1")
    lead.fill("#text", "morning routine chart with the family")
    lead.select_option("#owner", TEAM_MEMBER)
    _date(lead, "due_on", today)
    lead.fill("[name='due_on-month']", "13")
    _press(lead, "Agree the action")
    summary = lead.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the date it is due as a real date")
    expect(lead.locator("#due_on-error")).to_be_visible()
    expect(lead.locator("#text")).to_have_value("morning routine chart with the family")
    expect(lead.locator("#owner")).to_have_value(TEAM_MEMBER)
    assert lead.title().startswith("Error: ")
    check(lead, "lead-15-plan-action-refused")
    due = today + timedelta(days=7)
    _date(lead, "due_on", due)
    _press(lead, "Agree the action")
    lead.wait_for_url(on_plan)
    actions = lead.locator("table", has_text="morning routine chart")
    expect(actions).to_contain_text("Lead professional camhs")  # the owner, by name
    expect(actions).to_contain_text("To do")
    check(lead, "lead-16-plan")

    # --- the lead's home page: the action is due on the case they lead ---
    wait_for("the action on the lead's home page", lambda: _home_says(lead, web, "Plan action a1"))
    tray = lead.locator("main table", has_text="Plan action a1")
    expect(tray.locator(f'a[href="/cases/{case_id}"]')).to_have_count(1)
    check(lead, "lead-17-home-plan-due")
    lead.goto(plan_url)

    # --- progress, the plan agreed ---
    _open(lead, re.compile("^Record progress"), "progress")
    check(lead, "lead-18-plan-progress")
    lead.check("[name='status'][value='on-track']")
    lead.fill("#note", "on time four days of five")
    _press(lead, "Record progress")
    lead.wait_for_url(on_plan)
    expect(lead.locator("main")).to_contain_text("On track: on time four days of five")
    _open(lead, "Agree the plan", "agreement")
    check(lead, "lead-19-plan-agreement")
    _date(lead, "review_on", today + timedelta(days=14))
    _press(lead, "Agree the plan")
    lead.wait_for_url(on_plan)
    expect(lead.locator("main")).to_contain_text("Agreed with the family on")

    # --- the plan reviewed: the goal met clears the action from the lead's home page ---
    _open(lead, "Review the plan", "review")
    check(lead, "lead-20-plan-review")
    _press(lead, "Record the review")  # no outcome chosen: refused, named
    expect(lead.locator("#outcome-g1-error")).to_be_visible()
    lead.check("[name='outcome-g1'][value='met']")
    _press(lead, "Record the review")
    lead.wait_for_url(on_plan)
    reviews = lead.locator("table", has_text="Review 1")
    expect(reviews).to_contain_text("g1: met")
    expect(lead.locator("main")).to_contain_text("Goal met")
    check(lead, "lead-21-plan-reviewed")
    lead.goto(f"{web}/")
    expect(lead.locator("main")).to_contain_text("Nothing is due on your cases")
    expect(lead.locator("main")).not_to_contain_text("Plan action a1")
