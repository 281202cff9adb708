"""The lead professional reconfirms a family's consent on screens only: consent given almost a
year ago is due to be reconfirmed, and their home page says so among what is due on the cases
they lead (the case, the day it is due); its link opens the consent form on the referral,
where a missing answer is said beside its field, and consent recorded again (today) clears
the item."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from playwright.sync_api import Browser, expect

from contracts.reference import COUNTY_ZONE
from maag.ops.demo.client import wait_for
from services.referral.domain.consent_review import reconfirm_by
from tests.support.flow import CONSENT
from tests.support.referral import details
from tests.support.system import System
from tests.support.web import listed, person, sign_in

LEAD = "lead-education"
CAF = "CAF-2026-310041"


def _day(d: date) -> str:
    return d.strftime("%-d %B %Y")


def test_lead_reconfirms_consent_from_the_tray(system: System, web: str, browser: Browser) -> None:
    today = datetime.now(COUNTY_ZONE).date()  # the county's day
    given = today - timedelta(days=360)
    due = reconfirm_by(given)  # within the next four weeks
    client = system.client()
    consent = {**CONSENT, "given_on": given.isoformat()}
    case_id = client.refer(details(caf_reference=CAF, consent=consent))["case_id"]
    client.assign_lead(
        case_id, LEAD, "Lead professional education", "education", "lead@school.example"
    )

    # --- the tray: consent to reconfirm, with the case and the day it is due ---
    lead = person(browser)
    lead.goto(f"{web}/sign-in?next=/")
    sign_in(lead, LEAD)
    lead.wait_for_url(f"{web}/")
    expect(lead.get_by_role("heading", name="Due on the cases you lead")).to_be_visible()
    link = f"a[href='/referrals/{case_id}#consent']"
    item = lead.locator(f"main {link}")
    # the referral service learns who leads the case from the panel's event
    wait_for("the consent on the lead's tray", lambda: True if listed(lead, item) else None)
    row = lead.locator("main tr", has=lead.locator(link))
    expect(item).to_have_text("Consent to reconfirm")
    expect(row).to_contain_text(f"with the family ({CAF}, Harlow; given {_day(given)})")
    expect(row).to_contain_text(_day(due))
    expect(row.locator(".govuk-tag")).to_have_text("Due")

    # --- where it is done: the referral's consent form, starting from the consent in force ---
    item.click()
    lead.wait_for_url(f"{web}/referrals/{case_id}#consent")
    expect(lead.get_by_role("heading", name="Reconfirm consent with the family")).to_be_visible()
    summary = lead.locator(".govuk-summary-list").first
    by = summary.locator(".govuk-summary-list__row").filter(
        has=lead.locator("dt", has_text="Consent to reconfirm with the family by")
    )
    expect(by.locator("dd")).to_have_text(_day(due))
    expect(lead.locator("#given_by")).to_have_value("parent-carer")
    for agency in CONSENT["scope"]:
        expect(lead.locator(f"[name='scope'][value='{agency}']")).to_be_checked()
    expect(lead.locator("[name='given_on-day']")).to_have_value(str(today.day))
    again = lead.get_by_role("button", name="Record consent again")
    again.click()  # how it was obtained this time is not said: refused, beside the field
    expect(lead.locator(".govuk-error-summary")).to_contain_text("Enter how consent was obtained")
    expect(lead.locator("#how_obtained-error")).to_be_visible()
    expect(lead.locator("#given_by")).to_have_value("parent-carer")  # the answers kept
    lead.fill("#how_obtained", "home visit: the parent agreed again, signed form")
    again.click()
    lead.wait_for_url(f"{web}/referrals/{case_id}")
    expect(summary).to_contain_text(f"Given by a parent or carer on {_day(today)}")
    expect(by.locator("dd")).to_have_text(_day(reconfirm_by(today)))  # a year from today

    # --- reconfirmed: the tray clears ---
    lead.goto(f"{web}/")
    expect(lead.get_by_role("heading", name="Due on the cases you lead")).to_be_visible()
    expect(item).to_have_count(0)
