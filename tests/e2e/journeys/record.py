"""The case record in the browser: a referrer finds a referral waiting for consent in their
work tray, records consent with a narrower scope, a date and who gave it (the tray clears),
writes a note and corrects it, reads the chronology; then, on a second referral of the same
child, confirms the likely match and links a sibling's referral as one household."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Browser, FilePayload, Page, expect

from maag.ops.demo.client import wait_for
from services.referral.domain.documents import FileType
from tests.support.documents import sample
from tests.support.referral import details
from tests.support.system import System
from tests.support.web import check, listed, person, sign_in

CHILD = {
    "given_name": "Ottoline",
    "family_name": "Marchbank",
    "date_of_birth": "2013-05-14",
    "address": "7 Quay Street, Maldon CM9 4AB",
}


def _fill_day(page: Page, name: str, day: date) -> None:
    page.fill(f"[name='{name}-day']", str(day.day))
    page.fill(f"[name='{name}-month']", str(day.month))
    page.fill(f"[name='{name}-year']", str(day.year))


def test_a_referrer_keeps_the_case_record_on_screens(
    system: System, web: str, browser: Browser
) -> None:
    client = system.client()
    first = client.refer(details(caf_reference="CAF-2026-310001", district="maldon", child=CHILD))
    # the same child referred again, and a sibling (another first name and birthday)
    again = client.refer(details(caf_reference="CAF-2026-310002", district="maldon", child=CHILD))
    sibling = client.refer(
        details(
            caf_reference="CAF-2026-310003",
            district="maldon",
            child={**CHILD, "given_name": "Percival", "date_of_birth": "2016-02-01"},
        )
    )
    case_id = first["case_id"]

    # --- the work tray: the referral waits for consent ---
    referrer = person(browser)
    referrer.goto(f"{web}/sign-in?next=/")
    sign_in(referrer, "referrer-education")
    referrer.wait_for_url(f"{web}/")
    waiting = referrer.locator(f"main a[href='/referrals/{case_id}']")
    wait_for("the referral in the tray", lambda: True if listed(referrer, waiting) else None)
    expect(referrer.locator("main")).to_contain_text("referrals waiting for consent")
    expect(referrer.locator("main table").first).to_contain_text("Record the family's consent")
    check(referrer, "record-1-home-tray")

    # --- consent with a narrower scope, the day it was given and who gave it ---
    waiting.click()
    referrer.wait_for_url(f"{web}/referrals/{case_id}")
    expect(referrer.locator(".govuk-summary-list").first).to_contain_text("pending consent")
    referrer.select_option("#given_by", "young-person")
    referrer.uncheck("[name='scope'][value='youth-service']")  # the family said CAMHS only
    referrer.fill("#how_obtained", "the young person agreed at the CAF meeting")
    _fill_day(referrer, "given_on", date.today() + timedelta(days=2))
    referrer.get_by_role("button", name="Record consent").click()
    expect(referrer.locator(".govuk-error-summary")).to_contain_text(
        "The date consent was given must be today or in the past"
    )
    expect(referrer.locator("#given_on-error")).to_be_visible()
    expect(referrer.locator("#how_obtained")).to_have_value(
        "the young person agreed at the CAF meeting"
    )
    expect(referrer.locator("[name='scope'][value='youth-service']")).not_to_be_checked()
    check(referrer, "record-2-consent-refused")
    given = date.today() - timedelta(days=3)
    _fill_day(referrer, "given_on", given)
    referrer.get_by_role("button", name="Record consent").click()
    summary = referrer.locator(".govuk-summary-list").first
    expect(summary).to_contain_text(f"Given by the young person on {given:%-d %B %Y}")
    expect(summary).to_contain_text("CAMHS")
    expect(summary).not_to_contain_text("Youth service")
    expect(summary).to_contain_text("accepted")
    check(referrer, "record-3-consent")

    # --- the tray clears once consent is recorded ---
    referrer.goto(f"{web}/")
    gone = referrer.locator(f"main a[href='/referrals/{case_id}']")
    wait_for("the tray to clear", lambda: True if not listed(referrer, gone) else None)
    expect(referrer.locator(f"main a[href='/referrals/{again['case_id']}']")).to_have_count(1)

    # --- a note, refused empty, written, then corrected ---
    referrer.goto(f"{web}/referrals/{case_id}")
    referrer.get_by_role("link", name="Case notes").click()
    referrer.wait_for_url(f"{web}/referrals/{case_id}/notes")
    expect(referrer.locator("main")).to_contain_text("No notes have been written")
    check(referrer, "record-4-notes")
    referrer.get_by_role("button", name="Save the note").click()
    expect(referrer.locator(".govuk-error-summary")).to_contain_text("Enter the note")
    expect(referrer.locator("#text-error")).to_be_visible()
    check(referrer, "record-5-note-refused")
    referrer.fill("#text", "Home visit: the family agrees to a family support worker.")
    referrer.get_by_role("button", name="Save the note").click()
    expect(referrer.locator(".govuk-summary-card")).to_contain_text("family support worker")
    referrer.get_by_role("link", name=re.compile("^Correct this note")).click()
    referrer.wait_for_url(re.compile(r".*/notes/[0-9a-f-]{36}/correction$"))
    check(referrer, "record-6-note-correction")
    referrer.fill("#text", "Home visit: the family agrees to CAMHS and a family support worker.")
    referrer.fill("#reason", "CAMHS was agreed too")
    referrer.get_by_role("button", name="Save the correction").click()
    referrer.wait_for_url(f"{web}/referrals/{case_id}/notes")
    card = referrer.locator(".govuk-summary-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Corrected")
    expect(card).to_contain_text("CAMHS was agreed too")
    expect(card).to_contain_text("agrees to CAMHS and a family support worker")

    # --- the chronology: what happened, who and why, in order ---
    referrer.get_by_role("link", name="The case's chronology").click()
    table = referrer.locator("main table")
    expect(table).to_contain_text("Referral received")
    expect(table).to_contain_text("Consent to share given by the young person")
    expect(table).to_contain_text("Corrected later: CAMHS was agreed too")
    expect(table).not_to_contain_text("Referral.Triaged")
    check(referrer, "record-7-chronology")

    # --- a document: refused when its content is not what its name says, then added ---
    referrer.goto(f"{web}/referrals/{case_id}/documents")
    expect(referrer.locator("main")).to_contain_text("No documents have been added")
    check(referrer, "record-7a-documents")
    png = sample(FileType.PNG)
    scan = FilePayload(name="consent-form.pdf", mimeType="application/pdf", buffer=png)
    referrer.set_input_files("#file", files=[scan])
    referrer.check("#kind")  # a signed consent form
    referrer.get_by_role("button", name="Add the document").click()
    expect(referrer.locator(".govuk-error-summary")).to_contain_text(
        "its content is a PNG image, not the PDF it is declared as"
    )
    expect(referrer.locator("#file-error")).to_be_visible()
    check(referrer, "record-7b-document-refused")
    pdf = sample(FileType.PDF)
    signed = FilePayload(name="consent-form.pdf", mimeType="application/pdf", buffer=pdf)
    referrer.set_input_files("#file", files=[signed])
    referrer.check("#kind")
    referrer.get_by_role("button", name="Add the document").click()
    referrer.wait_for_url(f"{web}/referrals/{case_id}/documents")
    expect(referrer.locator("main table")).to_contain_text("consent-form.pdf")
    with referrer.expect_download() as downloaded:
        referrer.get_by_role("link", name=re.compile("^consent-form.pdf")).click()
    assert downloaded.value.suggested_filename == "consent-form.pdf"

    # --- the Early Help Assessment: refused without its date, then recorded as a draft ---
    referrer.goto(f"{web}/referrals/{case_id}/assessment")
    expect(referrer.locator("main")).to_contain_text("No Early Help Assessment has been recorded")
    check(referrer, "record-7c-assessment")
    referrer.fill("[name='assessed_on-day']", "")
    referrer.get_by_text("Health", exact=True).click()  # the heading's boxes open
    referrer.fill("#child_development-health-needs", "asthma: the inhaler is often forgotten")
    referrer.fill("#analysis", "Health first; a TAC with the school nurse")
    referrer.get_by_role("button", name="Save the assessment").click()
    expect(referrer.locator(".govuk-error-summary")).to_contain_text(
        "Enter the date of the assessment"
    )
    expect(referrer.locator("#child_development-health-needs")).to_have_value(
        "asthma: the inhaler is often forgotten"
    )
    check(referrer, "record-7d-assessment-refused")
    _fill_day(referrer, "assessed_on", date.today())
    referrer.get_by_role("button", name="Save the assessment").click()
    referrer.wait_for_url(f"{web}/referrals/{case_id}/assessment")
    expect(referrer.locator(".govuk-summary-list").first).to_contain_text("Draft: to be authorised")
    expect(referrer.locator("main")).to_contain_text("the inhaler is often forgotten")
    expect(referrer.get_by_role("button", name="Authorise version 1")).to_have_count(0)
    check(referrer, "record-7e-assessment")

    # --- the same child referred again: the likely match confirmed, a sibling linked ---
    referrer.goto(f"{web}/referrals/{again['case_id']}")
    referrer.get_by_role("link", name="Likely matches and household").click()
    referrer.wait_for_url(f"{web}/referrals/{again['case_id']}/matches")
    expect(referrer.locator("main")).to_contain_text("CAF-2026-310001")
    referrer.get_by_role("button", name="Record the decision on match 1").click()
    expect(referrer.locator(".govuk-error-summary")).to_contain_text(
        "Select whether this is the same child"
    )
    check(referrer, "record-8-matches-refused")
    referrer.check("#decision-1")
    referrer.fill("#match_reason-1", "same name, birthday and address as CAF-2026-310001")
    referrer.get_by_role("button", name="Record the decision on match 1").click()
    expect(referrer.locator("main")).to_contain_text("Confirmed: the same child")
    referrer.select_option("#sibling_case_id", sibling["case_id"])
    referrer.get_by_role("button", name="Link as siblings").click()
    household = referrer.locator("main table")
    expect(household).to_contain_text("CAF-2026-310003")
    check(referrer, "record-9-matches")
