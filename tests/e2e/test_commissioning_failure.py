"""A package the panel agreed that no provider can deliver, across the services as
processes: commissioning fails it, the panel lists the case again with the reason, and the
lead professional and the MAAG's coordinator are each emailed once."""

from __future__ import annotations

from maag.ops.demo.client import lead_decision, package_decision, wait_for
from maag.ops.infra.mailbox import messages
from tests.support.flow import CONSENT
from tests.support.referral import details
from tests.support.system import System

NOBODY_OFFERS = {
    "service": "equine therapy",  # no provider in the directory offers it
    "hours_per_week": 4,
    "starts_on": "2026-12-14",
    "review_interval_weeks": 12,
    "estimated_weekly_cost_pence": 20000,
}


def test_a_package_no_one_can_deliver_goes_back_to_the_panel_and_its_people(
    system: System,
) -> None:
    client = system.client()
    client.ready()
    case_id = client.refer(details(district="harlow", consent=CONSENT))["case_id"]
    meeting = client.convene(case_id)
    client.make_quorate(meeting)
    client.decide(
        meeting,
        lead_decision(case_id, "lead-education", "Sam Patel", "education", "sam@school.example"),
    )
    client.decide(meeting, package_decision(case_id, NOBODY_OFFERS))

    case = wait_for(
        "the case listed again",
        lambda: c if len((c := client.panel_case(case_id))["listed_on"]) == 2 else None,
    )
    again = case["listed_on"][1]

    def on_the_agenda() -> list[str] | None:  # the agenda is a read model: it follows
        path = f"/meetings/{again}/agenda"
        items = client.as_("coordinator", "GET", "panel", path)["agenda"]
        return [i["reason"] for i in items if i["case_id"] == case_id] or None

    assert wait_for("the case on the next agenda", on_the_agenda) == [
        "package not commissioned: no-capacity"
    ]

    def told() -> list[str] | None:
        to = [
            m["To"] for _, m in messages(system.mail) if "could not be commissioned" in m["Subject"]
        ]
        return to if len(to) >= 2 else None

    assert sorted(wait_for("the two emails", told)) == [
        "maag-harlow@essex.example",
        "sam@school.example",
    ]
    sent = [n for n in client.notifications(case_id) if n["template"] == "package-not-commissioned"]
    assert len(sent) == 2
