"""A package reviewed by its panel, across the services as processes on the real broker:
the review is listed at the panel when the package is commissioned, the panel decides at
that meeting to recommission with therapy added, commissioning carries it out, the new
provider is emailed, and the next review is listed."""

from __future__ import annotations

from datetime import date
from typing import Any

from maag.ops.demo.client import lead_decision, package_decision, wait_for
from maag.ops.infra.mailbox import messages
from tests.support.flow import CONSENT
from tests.support.referral import details
from tests.support.system import System


def _line(service: str, hours: float, starts_on: str) -> dict[str, Any]:
    return {
        "service": service,
        "hours_per_week": hours,
        "starts_on": starts_on,
        "review_interval_weeks": 12,
        "estimated_weekly_cost_pence": 14000,
    }


def test_review_decision_recommission_email(system: System) -> None:
    client = system.client()
    client.ready()
    case_id = client.refer(details(district="harlow", consent=CONSENT))["case_id"]
    meeting = client.convene(case_id)
    client.make_quorate(meeting)
    client.decide(
        meeting,
        lead_decision(case_id, "lead-education", "Sam Patel", "education", "sam@school.example"),
    )
    client.decide(meeting, package_decision(case_id, _line("family support", 4, "2026-12-14")))
    (package,) = client.wait_packages(case_id)

    # Commissioned: its review is listed on the MAAG meeting on or after the review date,
    # and brought forward to a meeting called now (a meeting decides only while it sits).
    review_meeting = client.convene(case_id, listing=2)
    client.make_quorate(review_meeting)
    client.decide(
        review_meeting,
        {
            "kind": "review-package",
            "case_id": case_id,
            "package_id": package["package_id"],
            "goals": "partly",
            "level_of_need_change": 0,
            "decision": "recommission",
            "interventions": [
                _line("family support", 4, "2027-03-15"),
                _line("therapy", 1, "2027-03-15"),
            ],
            "effective_from": "2027-03-15",
            "reason": "family support is working; therapy added for the anxiety",
        },
    )

    def recommissioned() -> dict[str, Any] | None:
        (p,) = client.packages(case_id)
        return p if len(p["lines"]) == 2 else None

    changed = wait_for("the package recommissioned", recommissioned)
    assert {line["provider_id"] for line in changed["lines"]} == {"inhouse-west", "health-camhs"}
    assert date.fromisoformat(changed["starts_on"]) == date(2027, 3, 15)

    def therapy_told() -> list[str] | None:
        to = [m["To"] for _, m in messages(system.mail) if "commissioned from you" in m["Subject"]]
        return to if "camhs-referrals@pct.example" in to else None

    assert wait_for("the therapy provider's email", therapy_told)
    # The panel's review went on: its next one is listed too.
    wait_for(
        "the next review listed",
        lambda: True if len(client.panel_case(case_id)["listed_on"]) == 3 else None,
    )
