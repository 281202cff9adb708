"""The child and family record in the browser: a midwife refers a baby before birth (the
expected date of delivery instead of a date of birth, the mother as parent and carer), is
refused beside the field when consent names a parent not recorded, then sends it; the case's
lead professional sees the baby as due on the case page, with the mother, and records the
birth (refused without its date, then recorded with the NHS number as typed, spaces and all);
the case page shows the born child. A later referral with the same NHS number is offered to
the midwife as a certain match."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from contracts.reference import COUNTY_ZONE
from maag.ops.demo.client import wait_for
from tests.support.referral import details
from tests.support.system import System
from tests.support.web import check, listed, person, sign_in

MIDWIFE = "referrer-primary-health"
# the lead from an agency the family's consent lets share: the child's details reach them
LEAD, AGENCY, EMAIL = "lead-childrens-centres", "childrens-centres", "lead@centre.example"
CAF = "CAF-2027-400001"
NHS_NUMBER = "943 476 5919"


def _fill_day(page: Page, name: str, day: date) -> None:
    page.fill(f"[name='{name}-day']", str(day.day))
    page.fill(f"[name='{name}-month']", str(day.month))
    page.fill(f"[name='{name}-year']", str(day.year))


def test_a_midwife_refers_a_baby_before_birth_and_records_the_birth(
    system: System, web: str, browser: Browser
) -> None:
    today = datetime.now(COUNTY_ZONE).date()  # the county's day
    # born today: a birth is never before the referral made before it (made just now)
    due, born = today + timedelta(days=20), today

    # --- a pre-birth referral: the expected date of delivery, the mother, consent ---
    midwife = person(browser)
    midwife.goto(f"{web}/referrals/new")
    sign_in(midwife, MIDWIFE)
    expect(midwife.get_by_role("heading", name="Make a referral to the MAAG")).to_be_visible()
    midwife.fill("#caf_reference", CAF)
    midwife.select_option("#district", "harlow")
    midwife.fill("#given_name", "Baby")
    midwife.fill("#family_name", "Okafor")
    midwife.check("[name='born'][value='no']")  # not yet born: the expected date instead
    _fill_day(midwife, "edd", due)
    midwife.fill("#address", "4 Mill Road, Harlow CM20 1AA")
    midwife.check("[name='sex'][value='not-known']")
    midwife.select_option("#ethnicity", "black-african")
    midwife.fill("#first_language", "Yoruba")
    midwife.fill("#gp_practice", "f81001")
    midwife.fill("#carer_name", "Amara Okafor")
    midwife.select_option("#carer_relationship", "mother")
    midwife.check("[name='carer_responsibility'][value='yes']")
    midwife.check("[name='carer_contact'][value='yes']")
    midwife.fill("#carer_phone", "07700 900123")
    midwife.fill("#needs", "housing\nperinatal mental health")
    midwife.check("[name='agencies'][value='housing']")
    midwife.check("[name='agencies'][value='childrens-centres']")
    midwife.check("[name='level_of_need'][value='3']")
    midwife.check("[name='significant_harm'][value='no']")
    midwife.check("[name='consent'][value='yes']")
    midwife.select_option("#consent_by", "parent-carer")
    midwife.fill("#consent_name", "Kofi Okafor")  # the father: not recorded as a carer
    midwife.fill("#consent_how", "signed form at the booking appointment")
    midwife.click("text=Send referral")
    expect(midwife.locator(".govuk-error-summary")).to_contain_text(
        "Name of the person who gave consent: name the parent or carer who gave consent"
    )
    expect(midwife.locator("#consent_name-error")).to_be_visible()
    expect(midwife.locator("[name='born'][value='no']")).to_be_checked()  # answers kept
    expect(midwife.locator("[name='edd-day']")).to_have_value(str(due.day))
    expect(midwife.locator("#carer_name")).to_have_value("Amara Okafor")
    check(midwife, "child-1-referral-refused")
    midwife.fill("#consent_name", "")  # blank: the mother named above
    midwife.click("text=Send referral")
    midwife.wait_for_url(re.compile(r".*/referrals/[0-9a-f-]{36}$"))
    expect(midwife.locator(".govuk-summary-list").first).to_contain_text("accepted")
    case_id = midwife.url.rsplit("/", 1)[1]

    # --- the case page: the lead sees the baby as due, with the mother ---
    # (the panel service shows the case page to the panel and the lead, not to referrers)
    client = system.client()
    client.wait_listed(case_id)
    client.assign_lead(case_id, LEAD, "Lead professional childrens-centres", AGENCY, EMAIL)
    lead = person(browser)
    lead.goto(f"{web}/cases/{case_id}")
    sign_in(lead, LEAD)
    lead.wait_for_url(f"{web}/cases/{case_id}")
    due_row = lead.get_by_text("Expected date of delivery")
    # the referral service learns who leads the case from the panel's event
    wait_for("the lead to see the child", lambda: True if listed(lead, due_row) else None)
    main = lead.locator("main")
    expect(main).to_contain_text(f"{due:%-d %B %Y}")
    expect(main).to_contain_text("Not yet born")
    expect(main).to_contain_text("Black or Black British: African")
    expect(main).to_contain_text("F81001")
    expect(main.locator(".govuk-summary-card")).to_contain_text("Amara Okafor")
    expect(main.locator(".govuk-summary-card")).to_contain_text("Mother")
    check(lead, "child-2-case-unborn")

    # --- the birth: refused without its date, then recorded ---
    lead.get_by_role("link", name="Record the birth").click()
    lead.wait_for_url(f"{web}/referrals/{case_id}/birth")
    expect(lead.locator("#given_name")).to_have_value("Baby")
    check(lead, "child-3-birth")
    lead.fill("#given_name", "Adaeze")
    lead.check("[name='sex'][value='female']")
    lead.fill("#nhs_number", NHS_NUMBER)
    lead.get_by_role("button", name="Record the birth").click()
    expect(lead.locator(".govuk-error-summary")).to_contain_text("Enter the date of birth")
    expect(lead.locator("#date_of_birth-error")).to_be_visible()
    expect(lead.locator("#nhs_number")).to_have_value(NHS_NUMBER)  # the answers kept
    check(lead, "child-4-birth-refused")
    _fill_day(lead, "date_of_birth", born)
    lead.get_by_role("button", name="Record the birth").click()
    lead.wait_for_url(f"{web}/cases/{case_id}")
    expect(lead.locator("h1")).to_have_text("Adaeze Okafor")
    expect(main).to_contain_text("Date of birth")
    expect(main).to_contain_text(f"{born:%-d %B %Y}")
    expect(main).to_contain_text(NHS_NUMBER)
    expect(main).not_to_contain_text("Expected date of delivery")
    expect(lead.get_by_role("link", name="Record the birth")).to_have_count(0)
    check(lead, "child-5-case-born")

    # --- the same baby referred again with her NHS number: a certain match ---
    child = {
        "given_name": "Adaeze",
        "family_name": "Okafor",
        "date_of_birth": born.isoformat(),
        "address": "4 Mill Road, Harlow CM20 1AA",
        "nhs_number": NHS_NUMBER.replace(" ", ""),
    }
    again = client.refer(
        details(
            caf_reference="CAF-2027-400002",
            referring_agency="primary-health",
            referring_professional_id=MIDWIFE,
            child=child,
        ),
        agency="primary-health",
    )
    midwife.goto(f"{web}/referrals/{again['case_id']}/matches")
    card = midwife.locator(".govuk-summary-card").first
    expect(card).to_contain_text("Certain: same NHS number")
    expect(card).to_contain_text(CAF)
    check(midwife, "child-6-matches-certain")
