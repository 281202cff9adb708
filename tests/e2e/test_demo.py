"""`maag demo` against the whole system as processes (real broker, database and SMTP
server): it completes, and what it printed is what the services hold — checked through
their APIs, the mailbox and the audit replay, with no child's name in any email."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx

from maag.ops.infra.mailbox import messages
from tests.support.identity import auth
from tests.support.system import System

DEMO_CHILDREN = ("Amara", "Okafor", "Jordan", "Hale", "Riley", "Marsh", "Kai", "Mensah")


def test_the_demo_drives_four_cases_through_every_service(system: System, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "maag.ops.cli", "demo"],
        env={**system.env, "MAAG_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "30/30" in out.stdout and "complete" in out.stdout
    cases = dict(
        part.split() for part in out.stdout.split("Cases: ")[1].splitlines()[0].split(", ")
    )
    client = system.client()

    (a_package,) = client.packages(cases["A"])
    assert (
        a_package["status"] == "active" and a_package["lines"][0]["provider_id"] == "inhouse-west"
    )
    b_packages = {p["lines"][0]["provider_id"]: p for p in client.packages(cases["B"])}
    assert set(b_packages) == {"inhouse-mid", "health-camhs"}
    assert b_packages["inhouse-mid"]["ended_on"] is not None
    assert client.panel_case(cases["B"])["panel"] == "earp"
    # D: a JAP package split three ways, reviewed twice by the JAP (listed a third time)
    (d_package,) = client.packages(cases["D"])
    assert {s["agency"]: s["percent"] for s in d_package["funding_split"]} == {
        "childrens-services": 50,
        "pct": 30,
        "adult-transition": 20,
    }
    assert d_package["alternative_to"] == ["out-of-county-placement", "hospital"]
    starts = date.fromisoformat(d_package["starts_on"])
    assert date.fromisoformat(d_package["review_on"]) == starts + timedelta(weeks=3 * 6)
    r = httpx.get(
        f"{system.url('panel')}/cases/{cases['C']}", headers=auth("panel-member", "social-care")
    )
    assert r.status_code == 404  # redirected at triage: never at a panel
    c = httpx.get(
        f"{system.url('referral')}/referrals/{cases['C']}", headers=auth("referrer", "police")
    )
    assert c.json()["status"] == "redirected-to-social-care"

    mail = messages(system.mail)
    sent = Counter((m["To"], m["Subject"].split(": ", 1)[1]) for _, m in mail)
    assert sent[("sam.patel@harlow-school.example", "you are the lead professional")] == 1
    assert sent[("chris.doyle@essex-social-care.example", "you are the lead professional")] == 1
    assert sent[("west-family-support@essex.example", "package commissioned from you")] == 1
    assert sent[("camhs-referrals@pct.example", "package commissioned from you")] == 2  # B, D
    assert sent[("mid-family-support@essex.example", "package decommissioned")] == 1
    ids = [m["Message-ID"] for _, m in mail]
    assert len(ids) == len(set(ids)), "an email was sent twice"
    raw = "".join(p.read_text() for p, _ in mail) + out.stdout
    assert not any(name in raw for name in DEMO_CHILDREN)
    # The replay the demo printed ends with B's state at EARP.
    assert "panel:             earp" in out.stdout
