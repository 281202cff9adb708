"""A panel's governance on screens only: the voluntary sector's member declares an interest in
a case listed at a meeting sitting now and withdraws from its decision (a declaration that
does not say what the interest is refused, the answers kept) and sends apologies for the
panel's next meeting; the chair minutes the meeting and the case, and picks the case's lead
professional from the directory; the meeting shows the declaration beside the decision, the
minutes, and who sent apologies. Then the chair circulates the next meeting's agenda before its
cut-off: every member on the panel's distribution list finds one email in the mailbox with the
meeting's link, the page says when it went, and the same agenda is not offered again."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from email.message import EmailMessage, Message

from playwright.sync_api import Browser, Locator, Page, expect

from contracts.reference import COUNTY_ZONE
from maag.ops.demo.client import wait_for
from maag.ops.infra.mailbox import messages
from services.notifications.adapters.directory import ProviderDirectory
from tests.support.referral import details
from tests.support.system import System
from tests.support.web import check, person, sign_in

VOLUNTARY = "panel-pvi"  # the private, voluntary and independent sector's member
LEAD = "lead-education"
INTEREST = "Our mentoring service is a likely provider of this family's package"


def _form_of(page: Page, field: str) -> Locator:
    """The form holding the field `field` (so its own button is pressed)."""
    return page.locator("form", has=page.locator(field))


def test_chair_minutes_a_meeting_where_an_interest_was_declared_and_picks_the_lead(
    system: System, web: str, browser: Browser
) -> None:
    today = datetime.now(COUNTY_ZONE).date()
    client = system.client()
    consent = {
        "given_by": "parent-carer",
        "scope": ["education", "camhs"],
        "given_on": today.isoformat(),
        "how_obtained": "signed form at the CAF meeting",
    }
    case_id = client.refer(details(caf_reference="CAF-2026-310201", consent=consent))["case_id"]
    programme = client.wait_listed(case_id)  # the panel's next meeting, days away
    meeting = client.convene(case_id)  # called for now: the case is brought forward to it
    # another Harlow case, listed on the panel's next meeting: its agenda is circulated below
    other = client.refer(details(caf_reference="CAF-2026-310202", consent=consent))["case_id"]
    meeting_url = f"{web}/meetings/{meeting}"

    # --- the voluntary sector's member declares an interest and withdraws ---
    member = person(browser)
    member.goto(meeting_url)
    sign_in(member, VOLUNTARY)
    member.wait_for_url(meeting_url)
    expect(member.locator("main")).to_contain_text("Sitting")
    check(member, "voluntary-1-meeting")
    member.get_by_text("Declare an interest in this case").click()
    member.check("#withdraws-1")  # yes, they withdraw
    member.get_by_role("button", name="Declare the interest").click()
    summary = member.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Say what the interest is")
    expect(member.locator("#interest-1-error")).to_be_visible()
    expect(member.locator("#withdraws-1")).to_be_checked()  # the answer kept
    assert member.title().startswith("Error: ")
    check(member, "voluntary-2-interest-refused")
    member.fill("#interest-1", INTEREST)
    member.get_by_role("button", name="Declare the interest").click()
    member.wait_for_url(meeting_url)
    item = member.locator("main")
    expect(item).to_contain_text(f"{INTEREST}. Withdrew from the decision.")
    check(member, "voluntary-3-interest-declared")
    # ... and sends apologies for the panel's next meeting
    member.goto(f"{web}/meetings/{programme}")
    expect(member.locator("main")).to_contain_text("To come")
    member.get_by_role("button", name="Send my apologies").click()
    expect(member.locator("main")).to_contain_text("You sent your apologies for this meeting")
    expect(member.locator("main")).to_contain_text("Panel member pvi (pvi)")
    check(member, "voluntary-4-apologies")

    # --- the chair: attendance, the minutes, and the lead from the directory ---
    chair = person(browser)
    chair.goto(meeting_url)
    sign_in(chair, "chair-1")
    chair.wait_for_url(meeting_url)
    chair.get_by_role("button", name="Confirm I am attending").click()
    client.make_quorate(meeting)  # the other members confirm, each signed in as themselves
    chair.reload()
    expect(chair.locator("main")).to_contain_text("Quorate")
    expect(chair.locator("main")).to_contain_text(f"Panel member pvi (pvi): {INTEREST}")
    expect(chair.locator("#professional_id-1 option", has_text="(education)")).not_to_have_count(0)
    check(chair, "chair-11-meeting-with-interest")
    chair.get_by_text("Record the general minutes").click()
    chair.fill("#discussion-general", "Welcome to the voluntary sector's new member.")
    _form_of(chair, "#discussion-general").get_by_role("button", name="Record the minutes").click()
    chair.wait_for_url(meeting_url)
    chair.get_by_text("Minute the discussion of this case").click()
    chair.fill("#discussion-1", "The tenancy ends this week; school attendance has fallen.")
    chair.fill("#actions-1", "Lead to meet the family within a week\nHousing to review the tenancy")
    _form_of(chair, "#discussion-1").get_by_role("button", name="Record the minutes").click()
    chair.wait_for_url(meeting_url)
    main = chair.locator("main")
    expect(main).to_contain_text("Housing to review the tenancy")
    expect(main).to_contain_text("Welcome to the voluntary sector's new member.")
    chair.select_option("#professional_id-1", LEAD)
    with chair.expect_navigation():
        chair.get_by_role("button", name="Assign lead professional").click()
    assert chair.url == meeting_url, main.inner_text()[:600]  # what was refused, if anything
    expect(main.locator("table")).to_contain_text("lead professional assigned")
    expect(main.locator("table")).to_contain_text("1 declared, 1 withdrew")  # on the decision
    expect(main).to_contain_text("Withdrew from the decision.")
    expect(chair.get_by_text("Declare an interest in this case")).to_have_count(0)  # decided
    check(chair, "chair-12-minuted-and-decided")
    # the case's lead is the one chosen from the directory, by name and agency
    case = client.panel_case(case_id)
    assert case["lead_professional"]["professional_id"] == LEAD
    assert case["lead_professional"]["name"] == "Lead professional education"
    chair.goto(f"{web}/meetings/{programme}")
    expect(chair.locator("main")).to_contain_text("Panel member pvi (pvi)")  # apologies sent

    # --- the chair circulates the next meeting's agenda, before its cut-off ---
    upcoming = client.wait_listed(other)  # a day or more away: its agenda still open
    agenda_url = f"{web}/meetings/{upcoming}"
    chair.goto(agenda_url)
    main = chair.locator("main")
    expect(main).to_contain_text("Not circulated yet.")
    expect(main).to_contain_text("It can be circulated until")
    with chair.expect_navigation():
        chair.get_by_role("button", name="Circulate the agenda").click()
    assert chair.url == agenda_url, main.inner_text()[:600]  # what was refused, if anything
    expect(main).to_contain_text("Last circulated on")
    expect(chair.get_by_role("button", name="Circulate the agenda")).to_have_count(0)  # sent
    check(chair, "chair-13-agenda-circulated")
    # each member of the Harlow MAAG: one email, with the meeting's link
    members = ProviderDirectory().members_of("maag:harlow")

    def circulated() -> list[Message] | None:
        found = [m for _, m in messages(system.mail) if m["X-MAAG-Meeting"] == upcoming]
        return found if len(found) >= len(members) else None

    emails = wait_for("the agenda in each member's inbox", circulated)
    assert Counter(m["To"] for m in emails) == Counter(members)  # each once
    assert {"chair-1@maag.example", "panel-pvi@maag.example"} <= set(members)
    email = emails[0]
    assert isinstance(email, EmailMessage)  # read with the default policy
    assert str(email["Subject"]).startswith("Harlow MAAG meeting on ")
    text = email.get_body(("plain",))
    assert text is not None and agenda_url in text.get_content()
    assert "CAF-2026-310202" not in text.get_content()  # no case named
