"""The data protection officer's work on screens only: a case found, a legal hold placed with
its last day, an erasure refused under it (said beside the confirmation), the child's subject
access export downloaded, the hold released; their tray shows the hold ending and clears once
it is released. Then the commissioner's tray: a provider made full shows on it, and a package
the panel then agrees from it could not be commissioned shows first (why, the day, what to
do); the commissioner follows its link and raises the capacity again (the provider clears,
the failure waits for the panel), and once the panel's new decision is commissioned the
failure clears too."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from playwright.sync_api import Browser, expect

from contracts.reference import COUNTY_ZONE
from maag.ops.demo.client import lead_decision, package_decision, wait_for
from maag.ops.demo.scenario import intervention
from tests.support.flow import CONSENT
from tests.support.referral import CHILD_NAME, details
from tests.support.system import System
from tests.support.web import check, listed, person, sign_in


def _day(d: date) -> str:
    return d.strftime("%-d %B %Y")


def test_the_privacy_officer_and_the_commissioner_clear_their_trays(
    system: System, web: str, browser: Browser
) -> None:
    # a referral the family has not yet consented to (its record is the officer's to keep)
    caf = "CAF-2026-310031"
    case_id = system.client().refer(details(caf_reference=caf))["case_id"]
    ref = f"MAAG-{case_id.split('-')[0].upper()}"
    until = date.today() + timedelta(days=14)

    officer = person(browser)
    officer.goto(f"{web}/sign-in?next=/")
    sign_in(officer, "privacy-officer-1")
    expect(officer.get_by_role("heading", name="Due under the retention schedule")).to_be_visible()
    in_tray = officer.locator(f"a[href='/privacy/cases/{case_id}']")
    expect(in_tray).to_have_count(0)  # nothing of this case is due yet
    check(officer, "privacy-officer-1-home")

    # find the case: a CAF reference is not an id (said beside the field), then its id
    officer.get_by_role("link", name="Find a case").first.click()
    expect(officer.get_by_role("heading", name="Find a case")).to_be_visible()
    officer.get_by_label("Case id").fill(caf)
    officer.get_by_role("button", name="Find the case").click()
    expect(officer.locator(".govuk-error-summary")).to_contain_text("Enter the case's id")
    expect(officer.locator("#case-error")).to_contain_text("Enter the case's id")
    expect(officer.get_by_label("Case id")).to_have_value(caf)  # the answer kept
    check(officer, "privacy-officer-2-find")
    officer.get_by_label("Case id").fill(f"{web}/cases/{case_id}")  # its address, pasted
    officer.get_by_role("button", name="Find the case").click()
    officer.wait_for_url(f"{web}/privacy/cases/{case_id}")
    expect(officer.get_by_role("heading", level=1)).to_have_text(f"{caf}, Harlow")
    expect(officer.locator(".govuk-summary-list")).to_contain_text("Consent never given")
    check(officer, "privacy-officer-3-record")

    # a legal hold with its last day: a missing reason is said first, the date kept
    officer.locator("#until-day").fill(str(until.day))
    officer.locator("#until-month").fill(str(until.month))
    officer.locator("#until-year").fill(str(until.year))
    officer.get_by_role("button", name="Place the legal hold").click()
    expect(officer.locator("#hold_reason-error")).to_contain_text("Enter why the case is held")
    expect(officer.locator("#until-year")).to_have_value(str(until.year))
    officer.get_by_label("Why the case is held").fill("the county's solicitor expects a claim")
    officer.get_by_role("button", name="Place the legal hold").click()
    officer.wait_for_url(f"{web}/privacy/cases/{case_id}")
    hold_row = officer.locator(".govuk-summary-list__row").filter(
        has=officer.locator("dt", has_text="Legal hold")
    )
    expect(hold_row).to_contain_text(f"Until {_day(until)}: the county's solicitor expects")

    # the tray: the hold ends within four weeks
    officer.goto(f"{web}/")
    expect(in_tray).to_have_count(1)
    row = officer.locator("tr", has=in_tray)
    expect(row).to_contain_text("Legal hold ends")
    expect(row).to_contain_text(_day(until))
    expect(row).to_contain_text("Due")
    check(officer, "privacy-officer-4-tray")

    # an erasure, confirmed, is refused under the hold: said beside the confirmation
    in_tray.click()
    officer.wait_for_url(f"{web}/privacy/cases/{case_id}")
    officer.get_by_role("button", name="Erase the personal details").click()
    officer.wait_for_url(f"{web}/privacy/cases/{case_id}/erasure")
    expect(officer.locator(".govuk-warning-text")).to_contain_text("This cannot be undone")
    check(officer, "privacy-officer-5-erasure")
    officer.get_by_label("Why the details are erased").fill("the young person asked")
    officer.get_by_label(f"I confirm that the child's personal details on case {ref}").check()
    officer.get_by_role("button", name="Erase the personal details").click()
    refused = officer.locator("#confirm-error")
    expect(refused).to_contain_text(f"under a legal hold until {_day(until)}")
    expect(officer.locator(".govuk-error-summary")).to_contain_text("nothing can be erased")
    expect(officer.get_by_label("Why the details are erased")).to_have_value(
        "the young person asked"
    )
    check(officer, "privacy-officer-6-erasure-refused")

    # the child's subject access export: a JSON file of this case, the child's details in it
    officer.get_by_role("link", name="Back to the case's data protection record").click()
    officer.wait_for_url(f"{web}/privacy/cases/{case_id}")
    with officer.expect_download() as downloading:
        officer.get_by_role("button", name="Download the subject access export").click()
    download = downloading.value
    assert download.suggested_filename == f"maag-subject-access-{ref[5:]}.json"
    export = json.loads(download.path().read_text())
    assert export["case_id"] == case_id
    assert export["child"]["family_name"] == CHILD_NAME.split()[1]

    # the hold released: the record says none, and the tray clears
    officer.get_by_label("Why the hold is released").fill("the claim was settled")
    officer.get_by_role("button", name="Release the legal hold").click()
    officer.wait_for_url(f"{web}/privacy/cases/{case_id}")
    expect(hold_row).to_contain_text("None")
    officer.goto(f"{web}/")
    expect(officer.get_by_role("heading", name="Due under the retention schedule")).to_be_visible()
    expect(in_tray).to_have_count(0)

    # --- the commissioner: a provider with no room left is on their tray until it has some,
    # and a package the panel agreed that could not be commissioned until the panel's new
    # decision is ---
    client = system.client()
    agreed = client.refer(details(caf_reference="CAF-2026-310032", consent=CONSENT))["case_id"]
    agreed_ref = f"MAAG-{agreed.split('-')[0].upper()}"
    meeting = client.convene(agreed)
    client.make_quorate(meeting)
    lead = lead_decision(agreed, "lead-education", "Sam Patel", "education", "sam@school.example")
    client.decide(meeting, lead)
    mentoring = intervention("mentoring", 2, 8400)  # one provider has it: Brighter Futures
    client.decide(meeting, package_decision(agreed, mentoring))
    (package,) = client.wait_packages(agreed)
    provider_id = package["lines"][0]["provider_id"]
    commissioner = person(browser)
    commissioner.goto(f"{web}/sign-in?next=/")
    sign_in(commissioner, "commissioner-1")
    expect(commissioner.get_by_role("heading", name="Near their limits")).to_be_visible()
    expect(
        commissioner.get_by_role("heading", name="Packages that could not be commissioned")
    ).to_be_visible()
    near = commissioner.locator(f"a[href='/providers#capacity-{provider_id}']")
    expect(near).to_have_count(0)  # it has room
    failed = commissioner.locator("tr", has_text=agreed_ref)
    expect(failed).to_have_count(0)  # its package was commissioned
    # its capacity lowered to what is in use, on the providers page
    (row,) = [
        p
        for p in client.as_("commissioner", "GET", "commissioning", "/providers")
        if p["provider_id"] == provider_id
    ]
    commissioner.goto(f"{web}/providers")
    commissioner.fill(f"#capacity-{provider_id}", f"{row['used']:g}")
    with commissioner.expect_navigation():  # sent, and back at the providers page
        commissioner.locator(f"#capacity-{provider_id}").press("Enter")
    commissioner.goto(f"{web}/")
    expect(near).to_have_count(1)
    full = commissioner.locator("tr", has=near)
    expect(full).to_contain_text("Full")
    expect(full).to_contain_text(f"{row['used']:g} of {row['used']:g} places, hours or sessions")
    # the panel agrees more of it for the child: no provider has room, so it is refused back
    client.decide(meeting, package_decision(agreed, mentoring))
    wait_for("the failure on the tray", lambda: True if listed(commissioner, failed) else None)
    today = datetime.now(COUNTY_ZONE).date()  # the county's day
    expect(failed).to_contain_text("Harlow MAAG")
    expect(failed).to_contain_text("No provider had room")
    expect(failed).to_contain_text(f"Failed {_day(today)}; due by")  # two working days
    expect(failed.locator(".govuk-tag")).to_have_text("Due")
    check(commissioner, "commissioner-0-home-tray")
    # where it is dealt with: room found on the providers page, its capacity raised again
    failed.get_by_role("link", name="Find room: raise a provider's weekly capacity").click()
    commissioner.wait_for_url(f"{web}/providers")
    commissioner.fill(f"#capacity-{provider_id}", f"{row['weekly_capacity']:g}")
    with commissioner.expect_navigation():  # sent, and back at the providers page
        commissioner.locator(f"#capacity-{provider_id}").press("Enter")
    commissioner.goto(f"{web}/")
    expect(commissioner.get_by_role("heading", name="Near their limits")).to_be_visible()
    expect(near).to_have_count(0)  # the provider has room: it clears
    expect(failed).to_have_count(1)  # room alone commissions nothing: the panel decides again

    # the panel decides again at its next meeting (the failure listed it there), called now
    def relisted() -> bool | None:
        history = client.as_("coordinator", "GET", "panel", f"/cases/{agreed}/history")
        return True if any(e["event"] == "CommissioningFailureListed" for e in history) else None

    wait_for("the case listed again after the failure", relisted)
    again = client.convene(agreed, listing=len(client.panel_case(agreed)["listed_on"]))
    client.make_quorate(again)
    client.decide(again, package_decision(agreed, mentoring))
    client.wait_packages(agreed, count=2)
    # commissioned: the failure is dealt with, and the tray clears
    wait_for("the tray to clear", lambda: True if not listed(commissioner, failed) else None)
    expect(
        commissioner.get_by_role("heading", name="Packages that could not be commissioned")
    ).to_be_visible()
