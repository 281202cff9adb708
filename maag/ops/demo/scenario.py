"""`maag demo`: realistic cases driven through the running system, step by step.

Four children referred by four agencies:
  A  Harlow, consent given with the referral: accepted, listed at the West MAAG, a lead
     professional, a package commissioned from the West quadrant team, emails; the MAAG
     reviews it at the meeting it is listed for and it continues.
  B  Maldon, referred before consent was given: pending consent, consent recorded,
     accepted, listed at the Mid MAAG, a lead professional and a package; risk rises, so
     the MAAG escalates the case to the county EARP, which commissions therapy from CAMHS
     as an alternative to accommodation and decommissions the MAAG package.
  C  Basildon, a significant-harm concern: redirected to children's social care at once.
  D  Colchester, a young person leaving hospital with acute needs: the MAAG escalates to
     the JAP, which agrees a package as an alternative to an out-of-county placement, funded
     50/30/20 by SCF, the PCT and the adult transition service; the JAP reviews it twice.
Every step goes through the services' HTTP APIs as the person who would take it, and
waits for the system to react (through Kafka) before the next. A meeting decides only while
it sits, and the programme's next is days away: so, as a coordinator does for an urgent
case, each panel is called to meet now and the case (or its review) is brought forward to it. It ends with case B's
audit replay. The children are fictional; their names never leave the referral service.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from maag.ops.audit import render
from maag.ops.demo.client import Client, lead_decision, package_decision, review_decision, wait_for

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


def intervention(
    service: str, hours: float, weekly_pence: int, review_weeks: int = 12
) -> dict[str, Any]:
    return {
        "service": service,
        "hours_per_week": hours,
        "starts_on": (date.today() + timedelta(days=7)).isoformat(),
        "review_interval_weeks": review_weeks,
        "estimated_weekly_cost_pence": weekly_pence,
    }


@dataclass
class Demo:
    client: Client
    say: Say = print
    steps: int = 30
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

    def jap_case(self) -> None:
        c = self.client
        d = c.refer(
            {
                **referral(
                    "CAF-2026-100004",
                    "camhs",
                    "colchester",
                    ("Kai", "Mensah", "2009-03-11"),
                    needs=["mental health", "accommodation"],
                    agencies=["camhs", "social-care", "adult-transition"],
                    level=4,
                ),
                "transition": True,
                "transition_basis": "hospital",
            },
            agency="camhs",
        )
        self.cases["D"] = d["case_id"]
        self.step("CAMHS", f"refers case D in Colchester, leaving hospital: {d['status']}")
        maag = c.convene(self.cases["D"])
        c.make_quorate(maag)
        c.decide(
            maag,
            {
                "kind": "escalate",
                "case_id": self.cases["D"],
                "to": "jap",
                "reason": "acute needs on discharge: a joint health and care package",
                "justification": "level 4, needs the PCT and adult transition together",
            },
        )
        self.step("North East MAAG chair", "escalates D to the Joint Agency Panel")
        jap = c.convene(self.cases["D"], panel="jap")
        c.make_quorate(jap, "jap")
        self.step("JAP", "SCF, a PCT children's commissioner and adult transition: quorate")
        c.decide(
            jap,
            lead_decision(
                self.cases["D"],
                "lead-camhs",
                "Ade Bello",
                "camhs",
                "ade.bello@camhs.example",
            ),
            "jap",
        )
        split = {"childrens-services": 50, "pct": 30, "adult-transition": 20}
        c.decide(
            jap,
            package_decision(
                self.cases["D"],
                intervention("therapy", 3, 27000, review_weeks=6),
                alternative_to=("out-of-county-placement", "hospital"),
                funding_split=split,
            ),
            "jap",
        )
        (pkg_d,) = c.wait_packages(self.cases["D"])
        shares = ", ".join(f"{s['agency']} {s['percent']}%" for s in pkg_d["funding_split"])
        self.step("commissioning service", f"commissions D's package, funded {shares}")
        for n, decision in enumerate(("continue", "continue"), start=1):
            # listed on: the JAP meeting that agreed it, then each review (the MAAG listing
            # ended with the escalation)
            review = c.convene(self.cases["D"], "jap", listing=1 + n)
            c.make_quorate(review, "jap")
            c.decide(
                review,
                review_decision(
                    self.cases["D"], pkg_d["package_id"], decision, f"review {n}: settled at home"
                ),
                "jap",
            )
            self.step(
                "JAP chair",
                f"reviews D's package ({'first' if n == 1 else 'second'} review): it continues",
            )

    def run(self) -> str:
        """The whole story, phase by phase; the audit replay of case B as text."""
        self.say("Waiting for the four services...")
        self.client.ready()
        harm = self.refer()
        meeting_b, pkg_a, pkg_b = self.decide_at_the_maags()
        self.review_a(pkg_a)
        self.escalate_b(meeting_b, pkg_b)
        self.jap_case()
        return self.audit(harm)

    def refer(self) -> dict[str, Any]:
        """Three agencies refer A, B (consent recorded after) and C (significant harm)."""
        c = self.client
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

        return harm

    def decide_at_the_maags(self) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """A and B listed at their MAAGs, quorate, each given a lead and a package."""
        c = self.client
        meeting_a = c.convene(self.cases["A"])
        self.step("panel service", "lists A on the next West MAAG (Harlow) agenda")
        meeting_b = c.convene(self.cases["B"])
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

        return meeting_b, pkg_a, pkg_b

    def review_a(self, pkg_a: dict[str, Any]) -> None:
        """A's package reviewed at the West MAAG its review falls due at."""
        c = self.client
        review_a = c.convene(self.cases["A"], listing=2)
        self.step("panel service", "lists A's package for review at the West MAAG it falls due")
        c.make_quorate(review_a)
        c.decide(
            review_a,
            review_decision(
                self.cases["A"], pkg_a["package_id"], "continue", "attendance is up; keep going"
            ),
        )
        self.step("West MAAG chair", "reviews A's package: goals partly met, it continues")

    def escalate_b(self, meeting_b: str, pkg_b: dict[str, Any]) -> None:
        """B escalated to the EARP: a therapy package instead of its MAAG one."""
        c = self.client
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
        earp = c.convene(self.cases["B"], panel="earp")
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
                alternative_to=("accommodation", "school-exclusion"),
            ),
            "earp",
        )
        packages = c.wait_packages(self.cases["B"], 2)
        therapy = next(p for p in packages if p["package_id"] != pkg_b["package_id"])
        self.step(
            "commissioning service",
            f"commissions B's therapy from {therapy['lines'][0]['provider_id']}, "
            "an alternative to accommodation and exclusion",
        )
        c.decide(
            earp,
            review_decision(
                self.cases["B"],
                pkg_b["package_id"],
                "decommission",
                "replaced by the EARP's therapy package",
                goals="not-met",
                effective_from=(date.today() + timedelta(days=7)).isoformat(),
            ),
            "earp",
        )
        self.step("EARP chair", "decommissions B's MAAG package from next week")
        self.emails_sent(self.cases["B"], 3)
        self.step("notifications service", "emails B's lead professional and the providers")

    def audit(self, harm: dict[str, Any]) -> str:
        """C never listed (redirected to social care); B's history replayed across services."""
        c = self.client
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
