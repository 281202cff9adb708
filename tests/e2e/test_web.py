"""The web app in a real browser (Debian's chromium), against the whole system as processes
and the real Keycloak: each persona does their part through its pages, every page passes
axe-core with no serious or critical violation, and a screenshot of each is kept."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from maag.ops.demo.client import wait_for
from maag.ops.infra.mailbox import messages
from tests.support.referral import CHILD_NAME, details
from tests.support.system import System
from tests.support.web import check, listed, person, sign_in, unchecked_pages


def _fill_referral(page: Page, **over: str) -> None:
    values = {
        "caf_reference": "CAF-2026-200001",
        "given_name": "Tia",
        "family_name": "Brook",
        "dob-day": "3",
        "dob-month": "7",
        "dob-year": "2014",
        "address": "2 Test Lane, Harlow",
        "needs": "learning\nemotional wellbeing",
        "consent_how": "signed form at the CAF meeting",
        **over,
    }
    for name, value in values.items():
        page.fill(f"[name='{name}']", value)
    page.select_option("#district", "harlow")
    page.check("#agencies-3")  # CAMHS (the third agency listed)
    page.check("[name='agencies'][value='youth-service']")
    page.check("[name='level_of_need'][value='3']")
    page.check("[name='significant_harm'][value='no']")
    page.check("[name='consent'][value='yes']")
    page.select_option("#consent_by", "parent-carer")


def test_each_persona_does_their_part_in_the_browser(
    system: System, web: str, browser: Browser
) -> None:
    # --- the referrer: errors against each field, answers kept, then a referral made ---
    referrer = person(browser)
    referrer.goto(f"{web}/referrals/new")
    sign_in(referrer, "referrer-education")
    expect(referrer.get_by_role("heading", name="Make a referral to the MAAG")).to_be_visible()
    check(referrer, "referrer-1-form")
    _fill_referral(referrer, given_name="", **{"dob-month": "13"})
    referrer.click("text=Send referral")
    summary = referrer.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the first name")
    expect(summary).to_contain_text("Enter the date of birth as a real date")
    expect(referrer.locator("#given_name-error")).to_be_visible()
    expect(referrer.locator("#family_name")).to_have_value("Brook")  # the other answers kept
    assert referrer.title().startswith("Error: ")
    check(referrer, "referrer-2-errors")
    referrer.fill("#given_name", "Tia")
    referrer.fill("[name='dob-month']", "7")
    referrer.click("text=Send referral")
    referrer.wait_for_url(re.compile(r".*/referrals/[0-9a-f-]{36}$"))
    expect(referrer.locator(".govuk-summary-list").first).to_contain_text("accepted")
    case_id = referrer.url.rsplit("/", 1)[1]
    check(referrer, "referrer-3-referral")
    # a referral sent without consent waits; the referrer records consent on its page
    waiting = system.client().refer(details(caf_reference="CAF-2026-200002"))
    referrer.goto(f"{web}/referrals/{waiting['case_id']}")
    expect(referrer.locator(".govuk-summary-list").first).to_contain_text("pending consent")
    record = referrer.get_by_role("button", name="Record consent")
    record.click()
    expect(referrer.locator(".govuk-error-summary")).to_contain_text("Select who gave consent")
    referrer.select_option("#given_by", "parent-carer")
    referrer.fill("#how_obtained", "phone call with the parent, confirmed in writing")
    record.click()
    expect(referrer.locator(".govuk-summary-list").first).to_contain_text(
        "Given by a parent or carer"
    )
    check(referrer, "referrer-4-consent")
    referrer.goto(f"{web}/referrals")
    expect(referrer.locator("table")).to_contain_text("CAF-2026-200002")
    check(referrer, "referrer-5-referrals")
    referrer.goto(f"{web}/reports/spend")  # not a referrer's page: a plain 403
    expect(referrer.get_by_role("heading", name="You cannot see this page")).to_be_visible()
    check(referrer, "referrer-6-not-allowed")
    referrer.goto(f"{web}/")
    expect(referrer.locator("main")).to_contain_text("Make a referral")
    check(referrer, "referrer-0-home")

    # --- the chair: the meeting's agenda, their own attendance, a decision once quorate ---
    client = system.client()
    programme = client.wait_listed(case_id)
    chair = person(browser)
    chair.goto(f"{web}/meetings")
    sign_in(chair, "chair-1")
    check(chair, "chair-1-meetings")
    # the programme's next meeting is days away: it records nothing until it sits
    chair.goto(f"{web}/meetings/{programme}")
    expect(chair.locator("main")).to_contain_text(case_id)
    expect(chair.locator("main")).to_contain_text("To come")
    expect(chair.get_by_text("Confirm I am attending")).to_have_count(0)
    # so the chair calls the MAAG to meet now, from the case's page, and lists the case there
    chair.goto(f"{web}/cases/{case_id}")
    chair.fill("#reason", "the family's tenancy ends this week")
    check(chair, "chair-1-meet-now")
    chair.click("text=Call a meeting now and list the case")
    chair.wait_for_url(re.compile(r".*/meetings/[0-9a-f-]{36}$"))
    meeting = chair.url.rsplit("/", 1)[1]
    assert meeting != programme
    expect(chair.locator("main")).to_contain_text("brought forward: the family's tenancy ends")
    expect(chair.locator("main")).to_contain_text("Sitting")
    expect(chair.locator("main")).to_contain_text("Not quorate")
    # the chair's home page: the meeting sitting now waits for them (not quorate, a case)
    chair.goto(f"{web}/")
    tray = chair.locator("main table")
    expect(tray.locator(f'a[href="/meetings/{meeting}"]')).to_have_count(1)
    expect(tray).to_contain_text("Sitting now: not quorate")
    check(chair, "chair-0-home-work")
    chair.goto(f"{web}/meetings/{meeting}")
    chair.click("text=Confirm I am attending")
    expect(chair.locator("main")).to_contain_text("Panel Chair")
    client.make_quorate(meeting)  # the other members confirm, each signed in as themselves
    chair.reload()
    expect(chair.locator("main")).to_contain_text("Quorate")
    check(chair, "chair-2-agenda")
    # a form whose token is not the session's (expired, or forged elsewhere) sends nothing
    chair.eval_on_selector_all("input[name=csrf_token]", "es => es.forEach(e => e.value = 'x')")
    chair.click("text=Assign lead professional")
    expect(chair.get_by_role("heading", name="This form has expired")).to_be_visible()
    check(chair, "chair-5-form-expired")
    chair.goto(f"{web}/meetings/{meeting}")
    chair.select_option("#professional_id-1", "lead-education")  # from the directory
    chair.click("text=Assign lead professional")
    expect(chair.locator("main")).to_contain_text("lead professional")
    # quorate and decided: nothing of that meeting waits for the chair any more
    chair.goto(f"{web}/")
    expect(chair.locator(f'main a[href="/meetings/{meeting}"]')).to_have_count(0)

    # --- the lead professional: the link in the email, sign-in, back to that page ---
    def link() -> str | None:
        for path, m in messages(system.mail):
            if str(m["To"]).startswith("lead-education@"):  # the directory's address
                raw = path.read_text().replace("=\n", "")  # quoted-printable soft breaks
                if found := re.search(r"https?://[^\s\"<]+/cases/[0-9a-f-]{36}", raw):
                    return found.group(0)
        return None

    url = wait_for("the lead professional's email", link)
    assert url == f"{web}/cases/{case_id}"
    lead = person(browser)
    lead.goto(url)
    sign_in(lead, "lead-education")
    lead.wait_for_url(url)
    expect(lead.locator("main")).to_contain_text("Lead professional education")
    expect(lead.locator("main")).to_contain_text("Tia Brook")  # consent given: entitled
    check(lead, "lead-1-case")
    lead.click("text=My cases")
    expect(lead.locator("table")).to_contain_text(case_id)
    check(lead, "lead-3-my-cases")
    lead.goto(f"{web}/")  # what is due on the cases they lead (nothing yet: no plan)
    expect(lead.locator("main")).to_contain_text("Due on the cases you lead")
    check(lead, "lead-0-home-due")

    # --- the chair agrees a package; a decision with nothing chosen is refused, named ---
    chair.goto(f"{web}/meetings/{meeting}")
    chair.click("text=Another decision: defer, close, escalate, step down or refer")
    chair.click("text=Record the decision")
    expect(chair.locator(".govuk-error-summary")).to_contain_text("kind")
    check(chair, "chair-3-decision-refused")
    chair.click("text=Agree a package for this case")
    chair.fill("#service-1", "family support")
    chair.fill("#hours-1", "4")
    chair.fill("#starts_on-1", "2027-01-04")
    chair.fill("#weekly_cost-1", "140")
    chair.click("text=Agree the package")
    expect(chair.locator(".govuk-error-summary")).to_have_count(0)
    (package,) = client.wait_packages(case_id)
    # the package's review is listed at the MAAG meeting on or after its date: the chair
    # records it there, and the next one is listed
    review_meeting = client.convene(case_id, listing=2)
    client.make_quorate(review_meeting)
    chair.goto(f"{web}/meetings/{review_meeting}")
    chair.check("#goals-1-2")  # partly met
    chair.check("#decision-1")  # continue
    chair.fill("#review-reason-1", "attendance is up; keep going")
    chair.click("text=Record the review")
    expect(chair.locator(".govuk-error-summary")).to_have_count(0)
    expect(chair.locator("table")).to_contain_text("package reviewed")
    check(chair, "chair-4-review")
    client.wait_listings(case_id, 3)

    # --- the commissioner: the package in the spend report, as a table and a chart ---
    commissioner = person(browser)
    commissioner.goto(f"{web}/reports/spend")
    sign_in(commissioner, "commissioner-1")
    expect(commissioner.locator("table")).to_contain_text("maag:harlow")
    expect(commissioner.locator("svg title")).to_have_text(
        "Committed spend by panel this financial year"
    )
    check(commissioner, "commissioner-1-spend")
    commissioner.goto(f"{web}/packages/{package['package_id']}")  # the providers' link
    expect(commissioner.locator("h1")).to_have_text("family support")
    check(commissioner, "commissioner-6-package")
    commissioner.goto(f"{web}/packages/{uuid.uuid4()}")
    expect(commissioner.get_by_role("heading", name="Page not found")).to_be_visible()
    check(commissioner, "commissioner-7-not-found")
    commissioner.goto(f"{web}/reports/spend")
    with commissioner.expect_download() as download:
        commissioner.click("text=Download as CSV")
    assert download.value.suggested_filename == "maag-spend.csv"
    commissioner.click("text=Providers")
    check(commissioner, "commissioner-4-providers")
    commissioner.fill("#capacity-pvi-12", "lots")
    commissioner.locator("#capacity-pvi-12").press("Enter")
    expect(commissioner.locator(".govuk-error-summary")).to_contain_text("Capacity")
    check(commissioner, "commissioner-4-providers-refused")
    commissioner.click("text=Budgets")
    expect(commissioner.locator("table")).to_contain_text("jap:pct")
    check(commissioner, "commissioner-5-budgets")
    commissioner.click("text=Capacity")
    expect(commissioner.locator("table")).to_contain_text("West")
    check(commissioner, "commissioner-2-capacity")
    commissioner.click("text=Savings")
    expect(commissioner.locator("main")).to_contain_text("saved from")
    commissioner.fill("#from", "2027-02-01")
    commissioner.fill("#to", "2027-01-01")
    commissioner.click("text=Show this period")
    expect(commissioner.locator(".govuk-error-summary")).to_contain_text("is before from")
    check(commissioner, "commissioner-3-savings")
    commissioner.click("text=Boards")  # the Children's Trust Boards' figures, from the topics
    expect(commissioner.locator("table").first).to_contain_text("west-essex")
    # which children: counted by the referral service, small counts never shown
    expect(commissioner.locator("#equality")).to_be_visible()
    expect(commissioner.get_by_role("table", name="By sex")).to_contain_text("Not recorded")
    expect(commissioner.get_by_text("Download the early-help episodes as CSV")).to_be_visible()
    expect(commissioner.locator("svg title")).to_have_text(
        "Referrals received in the period, by area"
    )
    check(commissioner, "commissioner-8-boards")
    commissioner.fill("#from", "2027-02-01")
    commissioner.fill("#to", "2027-01-01")
    commissioner.click("text=Show this period")
    expect(commissioner.locator(".govuk-error-summary")).to_contain_text("is before from")

    # --- the provider: the packages running with it, and whom to contact to start ---
    provider = person(browser)
    provider.goto(f"{web}/provider/packages")
    sign_in(provider, f"provider-{package['lines'][0]['provider_id']}")
    expect(provider.locator("table")).to_contain_text("family support")
    expect(provider.locator("table")).to_contain_text("lead-education@")
    check(provider, "provider-1-packages")
    provider.click("text=family support")
    expect(provider.locator("main")).to_contain_text(
        "Lead professional education, lead professional"
    )
    expect(provider.locator("main")).not_to_contain_text("Tia")  # never the child
    check(provider, "provider-2-package")

    # --- the front door: a significant-harm referral, read and stepped down into the MAAG ---
    harm = client.refer(details(caf_reference="CAF-2026-200003", significant_harm_concern=True))
    front_door = person(browser)
    front_door.goto(f"{web}/front-door")
    sign_in(front_door, "front-door-1")
    row = front_door.locator(f"a[href='/front-door/{harm['case_id']}']")
    wait_for("the referral at the front door", lambda: True if listed(front_door, row) else None)
    check(front_door, "front-door-1-cases")
    row.click()
    # the child, under the referral itself
    expect(front_door.locator("main")).to_contain_text(CHILD_NAME.split()[0])
    front_door.click("text=Send the answer")
    expect(front_door.locator(".govuk-error-summary")).to_be_visible()  # nothing chosen
    check(front_door, "front-door-2-case")
    front_door.check("[name='answer'][value='stepped-down']")
    front_door.fill("#reason", "assessed: family support needed, no section 47")
    front_door.click("text=Send the answer")
    front_door.wait_for_url(f"{web}/front-door")
    expect(front_door.locator(f"a[href='/front-door/{harm['case_id']}']")).to_have_count(0)

    # --- the auditor: the case's timeline across the services, and as it stood before ---
    auditor = person(browser)
    auditor.goto(f"{web}/audit")
    sign_in(auditor, "auditor-1")
    expect(auditor.locator("table")).to_contain_text("referral")
    expect(auditor.locator(".govuk-tag--green")).to_have_count(4)  # every chain walked clean
    check(auditor, "auditor-0-stores")
    auditor.click("text=Walk every store again now")
    auditor.wait_for_url(f"{web}/audit/stores")
    expect(auditor.locator(".govuk-tag--green")).to_have_count(4)  # and again, now
    check(auditor, "auditor-0-stores-now")
    auditor.goto(f"{web}/audit")
    auditor.fill("#case_id", "not-a-case")
    auditor.click("text=Show its timeline")
    expect(auditor.locator("#case_id-error")).to_be_visible()
    auditor.fill("#case_id", case_id)
    auditor.click("text=Show its timeline")
    check(auditor, "auditor-1-timeline")
    # the newest page first (its reads make the case's history long), then the earlier ones
    seen = [auditor.locator("table tbody").inner_text()]
    while auditor.locator("text=Earlier events").count():
        auditor.click("text=Earlier events")
        seen.append(auditor.locator("table tbody").inner_text())
    assert len(seen) > 1, "the journey's case has more events than a page shows"
    for event in (
        "Referral: received",
        "Panel case: lead professional assigned",
        "Package: commissioned",
        "Case read",
    ):
        assert event in "".join(seen), event
    auditor.click("text=The newest events")
    expect(auditor.locator("table caption")).to_contain_text(" of ")
    auditor.fill("#as_of", "2020-01-01T00:00")
    auditor.click("text=Show")
    expect(auditor.locator("table caption")).to_have_text("0 events across every service, in order")

    # --- signing out ends the session ---
    commissioner.click("text=Sign out")
    commissioner.wait_for_url(f"{web}/")
    commissioner.goto(f"{web}/reports/spend")
    commissioner.wait_for_url(re.compile(r".*/realms/maag/protocol/openid-connect/auth.*"))

    # --- a service that is down: a plain "try again" page, never a stack trace ---
    system.kill("commissioning")
    lead.goto(url)
    expect(lead.get_by_role("heading", name="Sorry, the service is unavailable")).to_be_visible()
    assert "Traceback" not in lead.content()
    check(lead, "lead-2-unavailable")


# Each persona's other journeys (tests/e2e/journeys), collected here so that the page check
# below, the module's last test, sees every page they visit.
# journeys: one import line each, below
from tests.e2e.journeys.child import (  # noqa: E402, F401
    test_a_midwife_refers_a_baby_before_birth_and_records_the_birth,
)
from tests.e2e.journeys.governance import (  # noqa: E402, F401
    test_chair_minutes_a_meeting_where_an_interest_was_declared_and_picks_the_lead,
)
from tests.e2e.journeys.plan import test_lead_builds_and_reviews_a_plan  # noqa: E402, F401
from tests.e2e.journeys.privacy import (  # noqa: E402, F401
    test_the_privacy_officer_and_the_commissioner_clear_their_trays,
)
from tests.e2e.journeys.reconfirm import (  # noqa: E402, F401
    test_lead_reconfirms_consent_from_the_tray,
)
from tests.e2e.journeys.record import (  # noqa: E402, F401
    test_a_referrer_keeps_the_case_record_on_screens,
)
from tests.e2e.journeys.sessions import (  # noqa: E402, F401
    test_the_web_app_killed_and_restarted_mid_journey_signs_nobody_out,
)


# Every page of the app is visited and checked by a journey: those above, in this module (the
# same worker runs them in order), and this test comes last.
def test_every_page_was_checked_by_a_journey() -> None:
    assert not unchecked_pages(), "pages without an accessibility check"
