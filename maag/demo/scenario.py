"""`maag demo`: realistic cases driven through the running system, step by step.

Three children referred by three agencies:
  A  Harlow, consent given with the referral: accepted, listed at the West MAAG, a lead
     professional, a package commissioned from the West quadrant team, emails, a review.
  B  Maldon, referred before consent was given: pending consent, consent recorded,
     accepted, listed at the Mid MAAG, a lead professional and a package; risk rises, so
     the MAAG escalates the case to the county EARP, which commissions therapy from CAMHS;
     the MAAG package is decommissioned.
  C  Basildon, a significant-harm concern: redirected to children's social care at once.
Every step goes through the services' HTTP APIs as the person who would take it, and
waits for the system to react (through Kafka) before the next. It ends with case B's
audit replay. The children are fictional; their names never leave the referral service.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from maag.audit import render
from maag.demo.client import Client, lead_decision, package_decision, wait_for

Say = Callable[[str], None]


def referral(
    caf: str,
    agency: str,
    district: str,
    child: tuple[str, str, str],
    *,
    needs: list[str],
    agencies: list[str],
    level: int,
    harm: bool = False,
    consent: bool = True,
) -> dict[str, Any]:
    given, family, born = child
    body: dict[str, Any] = {
        "caf_reference": caf,
        "referring_agency": agency,
        "referring_professional_id": f"{agency}-prof-1",
        "district": district,
        "child": {
            "given_name": given,
            "family_name": family,
            "date_of_birth": born,
            "address": f"1 Demo Road, {district.title()}",
        },
        "needs": needs,
        "agencies_requested": agencies,
        "level_of_need": level,
        "significant_harm_concern": harm,
        "transition": False,
    }
    if consent:
        body["consent"] = {
            "given_by": "parent-carer",
            "scope": agencies,
            "given_on": date.today().isoformat(),
            "how_obtained": "signed consent form at the CAF meeting",
        }
    return body


def intervention(service: str, hours: float, weekly_pence: int) -> dict[str, Any]:
    return {
        "service": service,
        "hours_per_week": hours,
        "starts_on": (date.today() + timedelta(days=7)).isoformat(),
        "review_interval_weeks": 12,
        "estimated_weekly_cost_pence": weekly_pence,
    }


@dataclass
class Demo:
    client: Client
    say: Say = print
    steps: int = 23
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    cases: dict[str, str] = field(default_factory=dict)

    def step(self, who: str, what: str) -> None:
        self.done += 1
        width = 28
        filled = width * self.done // self.steps
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.monotonic() - self.started
        self.say(f"[{bar}] {self.done:>2}/{self.steps} {elapsed:6.1f}s  {who:<22} {what}")

    def emails_sent(self, case_id: str, count: int) -> list[dict[str, Any]]:
        return wait_for(
            f"{count} email(s) sent for case {case_id}",
            lambda: (
                sent
                if len(
                    sent := [n for n in self.client.notifications(case_id) if n["status"] == "sent"]
                )
                >= count
                else None
            ),
            self.client.timeout,
        )

    def run(self) -> str:
        c = self.client
        self.say("Waiting for the four services...")
        c.ready()

        # --- referrals ---
        a = c.refer(
            referral(
                "CAF-2026-100001",
                "education",
                "harlow",
                ("Amara", "Okafor", "2013-05-14"),
                needs=["learning", "emotional wellbeing", "family relationships"],
                agencies=["camhs", "youth-service"],
                level=3,
            )
        )
        self.cases["A"] = a["case_id"]
        self.step("school (education)", f"refers case A in Harlow: {a['status']}")
        b = c.refer(
            referral(
                "CAF-2026-100002",
                "primary-health",
                "maldon",
                ("Jordan", "Hale", "2011-09-02"),
                needs=["health", "behaviour", "school attendance"],
                agencies=["camhs", "social-care", "youth-service"],
                level=3,
                consent=False,
            ),
            agency="primary-health",
        )
        self.cases["B"] = b["case_id"]
        self.step("GP (primary health)", f"refers case B in Maldon: {b['status']}")
        b = c.give_consent(self.cases["B"], agency="primary-health")
        self.step("GP (primary health)", f"records the parent's consent for B: {b['status']}")
        harm = c.refer(
            referral(
                "CAF-2026-100003",
                "police",
                "basildon",
                ("Riley", "Marsh", "2015-01-20"),
                needs=["safety"],
                agencies=["social-care", "camhs"],
                level=4,
                harm=True,
            ),
            agency="police",
        )
        self.cases["C"] = harm["case_id"]
        self.step("police", f"refers case C in Basildon: {harm['status']} (significant harm)")

        # --- MAAG listings and decisions ---
        meeting_a = c.wait_listed(self.cases["A"])
        self.step("panel service", "lists A on the next West MAAG (Harlow) agenda")
        meeting_b = c.wait_listed(self.cases["B"])
        self.step("panel service", "lists B on the next Mid MAAG (Maldon) agenda")
        for meeting in (meeting_a, meeting_b):
            c.make_quorate(meeting)
        self.step("panel members", "5 agencies confirm attendance, each signed in: both quorate")
        lead = lead_decision(
            self.cases["A"],
            "lead-education",  # a seeded person: they sign in to see the case
            "Sam Patel",
            "education",
            "sam.patel@harlow-school.example",
        )
        c.decide(meeting_a, lead)
        self.step("West MAAG chair", "assigns A's lead professional: Sam Patel (education)")
        c.decide(
            meeting_a, package_decision(self.cases["A"], intervention("family support", 4, 14000))
        )
        self.step("West MAAG chair", "agrees A's package: family support, 4 hours a week")
        (pkg_a,) = c.wait_packages(self.cases["A"])
        provider = pkg_a["lines"][0]["provider_id"]
        self.step("commissioning service", f"commissions A's package from {provider}")
        self.emails_sent(self.cases["A"], 2)
        self.step("notifications service", "emails A's lead professional and the provider")

        lead = lead_decision(
            self.cases["B"],
            "lead-social-care",
            "Chris Doyle",
            "social-care",
            "chris.doyle@essex-social-care.example",
        )
        c.decide(meeting_b, lead)
        self.step("Mid MAAG chair", "assigns B's lead professional: Chris Doyle (social care)")
        c.decide(meeting_b, package_decision(self.cases["B"], intervention("youth work", 3, 10500)))
        (pkg_b,) = c.wait_packages(self.cases["B"])
        self.step(
            "commissioning service",
            f"commissions B's youth work from {pkg_b['lines'][0]['provider_id']}",
        )

        # --- review ---
        review = c.review(
            pkg_a["package_id"],
            {"goals": "partly", "level_of_need_change": 0, "decision": "continue"},
        )
        self.step(
            "commissioner",
            f"reviews A's package: goals partly met, continues ({review['status']})",
        )

        # --- escalation to EARP ---
        c.decide(
            meeting_b,
            {
                "kind": "escalate",
                "case_id": self.cases["B"],
                "to": "earp",
                "reason": "risk rising despite the package: missing from home twice",
                "justification": "exclusion and exploitation concerns need county resources",
            },
        )
        self.step("Mid MAAG chair", "escalates B to the county EARP")
        earp = c.wait_listed(self.cases["B"], panel="earp")
        self.step("panel service", "lists B on the next EARP agenda")
        c.make_quorate(earp, "earp")
        self.step(
            "EARP",
            "an SCF commissioner and an SCF head of service confirm attendance: quorate",
        )
        c.decide(
            earp,
            package_decision(
                self.cases["B"],
                intervention("therapy", 2, 18000),
                justification="level 3 at EARP: escalated by the MAAG with rising risk",
            ),
            "earp",
        )
        packages = c.wait_packages(self.cases["B"], 2)
        therapy = next(p for p in packages if p["package_id"] != pkg_b["package_id"])
        self.step(
            "commissioning service",
            f"commissions B's therapy from {therapy['lines'][0]['provider_id']}",
        )
        c.decommission(pkg_b["package_id"], "escalated", date.today() + timedelta(days=7))
        self.step("commissioner", "decommissions B's MAAG package (escalated) from next week")
        self.emails_sent(self.cases["B"], 3)
        self.step("notifications service", "emails B's lead professional and the providers")

        # --- the triage redirect, and the audit ---
        redirected = wait_for(
            "case C's outcome",
            lambda: harm if harm["status"] == "redirected-to-social-care" else None,
            5,
        )
        self.step("referral service", f"C is {redirected['status']}: never listed at a MAAG")
        replay = c.replay(self.cases["B"])
        services = len({e.service for e in replay.entries})
        self.step(
            "auditor", f"replays case B: {len(replay.entries)} events across {services} services"
        )
        self.step("demo", "complete")
        return render.text(replay)


def run(client: Client, say: Say = print) -> dict[str, str]:
    demo = Demo(client, say)
    replay = demo.run()
    say("")
    say("Cases: " + ", ".join(f"{k} {v}" for k, v in demo.cases.items()))
    say("")
    say("Audit replay of case B (maag audit replay " + demo.cases["B"] + "):")
    say(replay)
    return demo.cases
