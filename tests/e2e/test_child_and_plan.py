"""The child at the centre, across the services as processes on the real broker, database and
identity provider: two agencies' referrals of one child (spelt differently) matched,
confirmed by a panel member and joined to the child's open case; another child of the same
name born another day not offered; siblings linked; nothing personal on any topic. Then a
plan of three goals through two reviews, each taken up by the panel's review of the package,
and the boards' report counting them."""

from __future__ import annotations

import asyncio
from typing import Any

from contracts.topics import ALL_TOPICS, PANEL_EVENTS, REFERRAL_SUBMISSIONS
from maag.ops.demo.client import (
    lead_decision,
    package_decision,
    referrer,
    review_decision,
    wait_for,
)
from tests.integration.runtime.conftest import read_to_end
from tests.support.referral import details
from tests.support.system import System

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["education", "primary-health", "camhs"],
    "given_on": "2026-11-20",
    "how_obtained": "signed form",
}
CHILD = {
    "given_name": "Zebulon",
    "family_name": "Quarrington",
    "date_of_birth": "2015-06-01",
    "address": "4 Mill Lane, Harlow CM20 1AB",
}
VARIANT = {
    "given_name": "Zebulun",
    "family_name": "Quarington",
    "date_of_birth": "2015-06-01",
    "address": "4 Mill Ln, HARLOW cm20 1ab",
}
COORDINATOR = "coordinator-1"


def _refer(system: System, agency: str, child: dict[str, Any], caf: str) -> dict[str, Any]:
    body = details(
        caf_reference=caf, referring_agency=agency, child=child, consent=CONSENT, district="harlow"
    )
    return system.client().refer(body, agency=agency)


def test_one_child_two_agencies_matched_confirmed_and_joined_to_the_open_case(
    system: System, kafka_bootstrap: str, topic_prefix: str
) -> None:
    client = system.client()
    client.ready()
    first = _refer(system, "education", CHILD, "CAF-2026-000301")
    client.wait_listed(first["case_id"])
    second = _refer(system, "primary-health", VARIANT, "CAF-2026-000302")
    # the health visitor cannot read the school's referral: no offer is shown to them
    assert second["matches_offered"] == 0 and second["child_id"] != first["child_id"]
    offers = client.call(
        "GET", "referral", f"/referrals/{second['case_id']}/matches", user=COORDINATOR
    )
    assert [o["child_id"] for o in offers] == [first["child_id"]]
    client.wait_listed(second["case_id"])
    other_birthday = _refer(
        system, "education", {**CHILD, "date_of_birth": "2016-02-03"}, "CAF-2026-000303"
    )
    assert other_birthday["matches_offered"] == 0

    path = f"/referrals/{second['case_id']}/child-match"
    body = {"child_id": first["child_id"], "decision": "confirm", "reason": "same child"}
    refused = client.call(
        "POST", "referral", path, user=referrer("primary-health"), expect=403, json=body
    )
    assert "child_id" in refused["detail"]
    confirmed = client.call("POST", "referral", path, user=COORDINATOR, json=body)
    assert confirmed["child_id"] == first["child_id"]

    # The panel folds the new referral into the child's open case, which stays listed.
    joined = wait_for(
        "the new referral joined the open case",
        lambda: c if (c := client.panel_case(second["case_id"]))["status"] == "joined" else None,
    )
    assert joined["listed_on"] == []
    open_case = client.panel_case(first["case_id"])
    assert open_case["joined_referrals"] == [second["case_id"]] and open_case["listed_on"]

    # Siblings: the school's referrer links a brother they referred too.
    brother = _refer(
        system,
        "education",
        {**CHILD, "given_name": "Ezra", "date_of_birth": "2018-09-09"},
        "CAF-2026-000304",
    )
    linked = client.call(
        "POST",
        "referral",
        f"/referrals/{first['case_id']}/household",
        user=referrer("education"),
        json={"sibling_case_id": brother["case_id"]},
    )
    record = wait_for(
        "the child's record with both referrals and the brother",
        lambda: (
            r
            if len(
                (
                    r := client.call(
                        "GET", "referral", f"/children/{first['child_id']}", user=COORDINATOR
                    )
                )["referrals"]
            )
            == 2
            and r["household"]
            else None
        ),
    )
    assert {x["case_id"] for x in record["referrals"]} == {first["case_id"], second["case_id"]}
    assert [x["case_id"] for x in record["household"]] == [brother["case_id"]]
    assert linked["household_id"]

    # Nothing personal on any topic but the submissions: pseudonymous ids only.
    seen_types: set[bytes] = set()
    for topic in ALL_TOPICS:
        if topic in (REFERRAL_SUBMISSIONS, REFERRAL_SUBMISSIONS.dead_letters):
            continue
        for r in asyncio.run(read_to_end(kafka_bootstrap, topic.named(topic_prefix))):
            blob = (r.value or b"") + b"".join(v or b"" for _, v in r.headers)
            for word in (b"Quarrington", b"Quarington", b"Zebulon", b"Zebulun", b"CM20", b"Mill"):
                assert word not in blob, topic.name
            seen_types.add(dict(r.headers).get("ce_type", b""))
    assert {b"maag.referral.ChildMatchConfirmed.v1", b"maag.referral.HouseholdLinked.v1"} <= (
        seen_types
    )
    assert b"maag.panel.CaseJoined.v1" in seen_types


def _line(service: str, starts_on: str) -> dict[str, Any]:
    return {
        "service": service,
        "hours_per_week": 4,
        "starts_on": starts_on,
        "review_interval_weeks": 12,
        "estimated_weekly_cost_pence": 14000,
    }


def _plan(system: System, case_id: str, change: dict[str, Any], expect: int = 200) -> Any:
    return system.client().call(
        "POST", "panel", f"/cases/{case_id}/plan", user="lead-education", expect=expect, json=change
    )


def test_a_plan_of_three_goals_through_two_reviews_feeds_the_panels_reviews(
    system: System, kafka_bootstrap: str, topic_prefix: str
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
    client.decide(meeting, package_decision(case_id, _line("family support", "2026-12-14")))
    (package,) = client.wait_packages(case_id)

    # The lead professional builds the team and the plan with the family.
    for member, org, role in (
        ("lead-education", "education", "SENCo"),
        ("hv-7", "primary-health", "health visitor"),
    ):
        _plan(
            system,
            case_id,
            {
                "kind": "add-member",
                "member_id": member,
                "name": member,
                "organisation": org,
                "role": role,
            },
        )
    _plan(
        system,
        case_id,
        {
            "kind": "record-meeting",
            "held_on": "2026-11-25",
            "attended": ["lead-education", "hv-7", "family"],
            "consent_reconfirmed": True,
            "summary": "first TAC meeting",
        },
    )
    refused = _plan(
        system,
        case_id,
        {
            "kind": "agree-action",
            "action_id": "a0",
            "goal_id": "g1",
            "text": "x",
            "due_on": "2027-01-10",
        },
        expect=422,
    )
    assert "owner" in str(refused)
    for n in (1, 2, 3):
        _plan(system, case_id, {"kind": "record-need", "need_id": f"n{n}", "text": f"need {n}"})
        _plan(
            system,
            case_id,
            {"kind": "set-goal", "goal_id": f"g{n}", "need_id": f"n{n}", "text": f"goal {n}"},
        )
        _plan(
            system,
            case_id,
            {
                "kind": "agree-action",
                "action_id": f"a{n}",
                "goal_id": f"g{n}",
                "text": f"action {n}",
                "owner": "hv-7",
                "due_on": "2027-01-10",
                "intervention": "family support",
            },
        )
    _plan(
        system,
        case_id,
        {"kind": "agree-plan", "agreed_on": "2026-11-25", "review_on": "2027-02-20"},
    )

    def review_plan(outcomes: list[str], on: str) -> None:
        _plan(
            system,
            case_id,
            {
                "kind": "review-plan",
                "reviewed_on": on,
                "outcomes": [
                    {"goal_id": f"g{n}", "outcome": o}
                    for n, o in zip((1, 2, 3), outcomes, strict=True)
                ],
            },
        )

    def panel_review(listings: int, decision: str, reason: str) -> None:
        review_meeting = client.convene(case_id, listing=listings)
        client.make_quorate(review_meeting)
        body = review_decision(case_id, package["package_id"], decision, reason)
        del body["goals"]  # the plan's review says
        client.decide(review_meeting, body)

    review_plan(["met", "partly", "not-met"], "2027-02-20")
    panel_review(2, "continue", "school attendance up; sleep not yet")
    review_plan(["met", "met", "met"], "2027-05-20")
    panel_review(3, "decommission", "every goal of the plan met")
    wait_for(
        "the package decommissioned",
        lambda: True if client.packages(case_id)[0]["status"] == "decommissioned" else None,
    )

    published = [
        (dict(r.headers)["ce_type"], r.value)
        for r in asyncio.run(read_to_end(kafka_bootstrap, PANEL_EVENTS.named(topic_prefix)))
        if dict(r.headers).get("ce_subject", b"").decode() == case_id
    ]
    types = [t for t, _ in published]
    assert types.count(b"maag.panel.PlanAgreed.v1") == 1
    assert types.count(b"maag.panel.PlanReviewed.v1") == 2
    decided = [v for t, v in published if t == b"maag.panel.PackageReviewDecided.v1"]
    assert [b'"goals":"partly"' in v for v in decided] == [True, False]
    assert b'"goals":"met"' in decided[1]
    assert not any(b"goal 1" in v or b"need 1" in v for _, v in published)

    plan = client.call("GET", "panel", f"/cases/{case_id}/plan", user="lead-education")
    assert [r["overall"] for r in plan["reviews"]] == ["partly", "met"]

    # The boards see both reviews, the plan's and the package's, from the topics (each as its
    # topic brings it: the package's come from commissioning after the panel's).
    def board() -> dict[str, Any] | None:
        found = client.as_(
            "commissioner",
            "GET",
            "commissioning",
            "/reports/boards",
            params={"from": "2026-04-01", "to": "2028-03-31"},
        )
        county = found["areas"].get("county", {})
        reviewed = sum(county.get("review_outcomes", {}).values())
        return county if county.get("plan_reviews", 0) >= 2 and reviewed >= 2 else None

    county = wait_for("the boards' report", board)
    # ... and they agree with commissioning's own record of every package, district by district
    wait_for(
        "the boards reconciled with commissioning",
        lambda: (
            True
            if client.as_("commissioner", "GET", "commissioning", "/reports/boards/reconciliation")[
                "agree"
            ]
            else None
        ),
    )
    assert county["plan_goals_at_review"]["met"] >= 4
    assert county["review_outcomes"]["partly"] >= 1 and county["review_outcomes"]["met"] >= 1
