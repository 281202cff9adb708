"""Issue 8: a case run through every service (each its own process, on the real broker and
database), then replayed: the timeline across services in order with actor, basis and
causation links, the state as of several moments against what was done, reads on record,
and the audit endpoints closed to everyone but auditors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from maag.ops.demo.client import review_decision, wait_for
from maag.ops.identity.realm import LOCAL_PASSWORD
from maag.runtime.evidence.timeline import Entry
from tests.support.identity import auth
from tests.support.referral import details
from tests.support.system import System

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "youth-service"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}
PACKAGE = {
    "service": "family support",
    "hours_per_week": 4,
    "starts_on": (date.today() + timedelta(days=7)).isoformat(),
    "review_interval_weeks": 12,
    "estimated_weekly_cost_pence": 14000,
}


def only(entries: list[Entry], event: str) -> Entry:
    found = [e for e in entries if e.event == event]
    assert len(found) == 1, f"{event}: {len(found)} entries"
    return found[0]


def settled(entries: list[Entry]) -> bool | None:
    """The package's end recorded by the panel, and every email asked for sent or failed,
    the providers' notice of the end among them."""
    ended = next((e for e in entries if e.event == "Package.Decommissioned"), None)
    if ended is None or not any(e.event == "PanelCase.PackageEnded" for e in entries):
        return None
    asked = [e for e in entries if e.event == "Notification.Requested"]
    if not any(e.caused_by and e.caused_by["event_id"] == ended.event_id for e in asked):
        return None
    done = {
        e.aggregate_id for e in entries if e.event in ("Notification.Sent", "Notification.Failed")
    }
    return True if {e.aggregate_id for e in asked} <= done else None


def test_a_case_replays_across_every_service_as_of_any_time(system: System) -> None:
    client = system.client()
    client.ready()
    before = datetime.now(UTC)

    referral = client.refer(details(district="maldon", level_of_need=3, consent=CONSENT))
    case_id = referral["case_id"]
    assert referral["status"] == "accepted"
    client.wait_listed(case_id)
    t_listed = datetime.now(UTC)
    meeting = client.convene(case_id)

    client.make_quorate(meeting)
    client.decide(
        meeting,
        {
            "kind": "assign-lead-professional",
            "case_id": case_id,
            "professional_id": "lp-7",
            "name": "Lee Lead",
            "agency": "education",
            "work_email": "lee.lead@school.example",
        },
    )
    t_lead = datetime.now(UTC)
    client.decide(
        meeting, {"kind": "request-package", "case_id": case_id, "interventions": [PACKAGE]}
    )
    (package,) = client.wait_packages(case_id)
    wait_for(
        "the lead professional's email",
        lambda: [n for n in client.notifications(case_id) if n["status"] == "sent"] or None,
    )
    t_commissioned = datetime.now(UTC)

    client.decide(
        meeting,
        {
            "kind": "escalate",
            "case_id": case_id,
            "to": "earp",
            "reason": "risk rising despite the package",
            "justification": "school exclusion imminent",
        },
    )
    earp = client.convene(case_id, panel="earp")
    client.make_quorate(earp, "earp")
    # The EARP ends the MAAG's package (panels decide; commissioning carries it out).
    client.decide(
        earp,
        review_decision(
            case_id,
            package["package_id"],
            "decommission",
            "replaced by the EARP's package",
            goals="not-met",
            effective_from=date.today().isoformat(),
        ),
        "earp",
    )
    wait_for(
        "the package decommissioned",
        lambda: True if client.packages(case_id)[0]["status"] != "active" else None,
    )
    # What the decommissioning set going, settled before the moment the test looks back from:
    # an event is stamped before it is committed, so one still in flight (its `at` before
    # t_end) would be missing from a replay read now and present in one read later.
    wait_for("the decommissioning's reactions", lambda: settled(client.replay(case_id).entries))
    t_end = datetime.now(UTC)

    full = client.replay(case_id)
    entries = full.entries
    services = {e.service for e in entries}
    assert services == {"referral", "panel", "commissioning", "notifications"}
    assert [e.at for e in entries] == sorted(e.at for e in entries)

    # What was done, in the order it was done, each with who and why.
    received = only(entries, "Referral.Received")
    triaged = only(entries, "Referral.Triaged")
    opened = only(entries, "PanelCase.Opened")
    lead = only(entries, "PanelCase.LeadProfessionalAssigned")
    requested = only(entries, "PanelCase.PackageRequested")
    commissioned = only(entries, "Package.Commissioned")
    escalated = only(entries, "PanelCase.Escalated")
    decommissioned = only(entries, "Package.Decommissioned")
    order = [received, triaged, opened, lead, requested, commissioned, escalated, decommissioned]
    assert [entries.index(e) for e in order] == sorted(entries.index(e) for e in order)
    assert received.actor == {
        "user_id": "referrer-education",
        "role": "referrer",
        "agency": "education",
    }
    assert received.details["details"].startswith("[withheld")
    assert triaged.details["outcome"] == "accepted" and triaged.basis
    assert lead.actor is not None and lead.actor == {
        "user_id": "chair-1",
        "role": "panel-chair",
        "agency": "social-care",
    }
    assert escalated.basis == "school exclusion imminent"
    assert escalated.details["reason"] == "risk rising despite the package"
    assert decommissioned.details["reason"] == "not-effective"
    # carried out for the EARP's chair, who decided it
    assert decommissioned.actor is not None and decommissioned.actor["role"] == "panel-chair"

    # The deciding meeting's attendance is in the timeline.
    attended = {e.details["agency"] for e in entries if e.event == "Meeting.AttendanceRecorded"}
    assert {"social-care", "education", "primary-health", "police"} <= attended

    # Causation links: each reaction names the event that caused it, across services.
    assert opened.caused_by is not None and opened.caused_by["event_id"] == triaged.event_id
    assert commissioned.caused_by is not None
    assert commissioned.caused_by["event_id"] == requested.event_id
    assert lead.caused_by is not None
    assert lead.caused_by["request"] == f"POST /meetings/{meeting}/decisions"
    emails = [e for e in entries if e.event == "Notification.Requested"]
    assert any(e.caused_by and e.caused_by["event_id"] == lead.event_id for e in emails)
    assert any(e.event == "Notification.Sent" for e in entries)

    # The state as it stood at several moments.
    assert client.replay(case_id, before).state.status == "unknown"
    at_listing = client.replay(case_id, t_listed).state
    assert (at_listing.status, at_listing.consent, at_listing.panel) == (
        "listed",
        "given",
        "maag",
    )
    assert at_listing.lead_professional is None and not at_listing.active_packages
    at_lead = client.replay(case_id, t_lead).state
    assert at_lead.lead_professional == {
        "professional_id": "lp-7",
        "name": "Lee Lead",
        "agency": "education",
    }
    assert not at_lead.active_packages
    at_commissioned = client.replay(case_id, t_commissioned).state
    assert list(at_commissioned.active_packages) == [package["package_id"]]
    assert at_commissioned.active_packages[package["package_id"]]["providers"] == ["inhouse-mid"]
    assert at_commissioned.emails_sent >= 1
    at_end = client.replay(case_id, t_end).state
    assert at_end.panel == "earp" and at_end.active_packages == {}

    # One service's full-timeline endpoint gives the same history (it asks the others).
    r = httpx.get(
        f"{system.url('panel')}/audit/cases/{case_id}/timeline",
        params={"as_of": t_end.isoformat()},
        headers=auth("auditor", "county-audit", "auditor-2"),
    )
    assert r.status_code == 200, r.text
    served = [Entry.from_json(e) for e in r.json()["entries"]]
    assert [e.event_id for e in served] == [e.event_id for e in entries if e.at <= t_end]
    assert r.json()["state"]["panel"] == "earp"
    # ... a page at a time (what the auditor's page asks: each service sends only what the
    # page shows), the pages followed back being the whole, each with the whole state
    pages: list[list[str]] = []
    start: str | None = None
    while True:
        params = {"as_of": t_end.isoformat(), "limit": "3"} | ({"before": start} if start else {})
        page = httpx.get(
            f"{system.url('panel')}/audit/cases/{case_id}/timeline",
            params=params,
            headers=auth("auditor", "county-audit", "auditor-2"),
        ).json()
        assert page["state"] == r.json()["state"] and page["total"] == len(served)
        pages.append([e["event_id"] for e in page["entries"]])
        if (start := page["before"]) is None:
            break
    assert [i for p in reversed(pages) for i in p] == [e.event_id for e in served]
    assert len(pages) == -(-len(served) // 3)

    # Reads are on record: the commissioner's package lookups and the auditor's own replays.
    reads = [e for e in client.replay(case_id).entries if e.event == "CaseRead.Recorded"]
    assert any(
        r.actor is not None
        and r.actor["user_id"] == "commissioner-1"
        and r.details["endpoint"] == f"GET /cases/{case_id}/packages"
        for r in reads
    )
    audited = {r.service for r in reads if r.actor is not None and r.actor["role"] == "auditor"}
    assert audited == services


def test_audit_endpoints_are_for_auditors_and_auditors_change_nothing(system: System) -> None:
    client = system.client()
    client.ready()
    case_id = client.refer(details(district="harlow", consent=CONSENT))["case_id"]
    for name in ("referral", "panel", "commissioning", "notifications"):
        url = f"{system.url(name)}/audit/cases/{case_id}"
        r = httpx.get(url, headers=auth("panel-member", "social-care"))
        assert r.status_code == 403, r.text
        assert (
            "may not replay a case's history (allowed: auditor, privacy-officer)"
            in r.json()["detail"]
        )
        assert httpx.get(url).status_code == 401
        r = httpx.get(
            url, params={"as_of": "2026-11-27T10:00:00"}, headers=auth("auditor", "county-audit")
        )
        assert r.status_code == 422 and "as_of" in r.json()["detail"]
    auditor = auth("auditor", "county-audit")
    meeting = system.client().wait_listed(case_id)
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("referral", f"/referrals/{case_id}/consent", CONSENT),
        (
            "panel",
            f"/meetings/{meeting}/attendance",
            {"name": "A"},
        ),
        (
            "panel",
            f"/meetings/{meeting}/decisions",
            {"kind": "close", "case_id": case_id, "reason": "x"},
        ),
        (
            "commissioning",
            "/providers",
            {
                "provider_id": "auditor-made",
                "name": "Not allowed",
                "kind": "pvi",
                "services": ["mentoring"],
                "weekly_capacity": 1,
                "unit_cost_pence": 1,
            },
        ),
    ]
    for service, path, body in writes:
        r = httpx.post(f"{system.url(service)}{path}", json=body, headers=auditor)
        assert r.status_code == 403, f"{service}{path}: {r.status_code} {r.text}"
        assert "role 'auditor' may not" in r.json()["detail"]


def test_maag_audit_replay_prints_the_timeline(system: System) -> None:
    client = system.client()
    client.ready()
    case_id = client.refer(details(district="braintree", consent=CONSENT))["case_id"]
    client.wait_listed(case_id)
    # The auditor signs in as themselves (password grant, local realm); their subject is
    # what the services record as the reader.
    env = {**system.env, "MAAG_PASSWORD": LOCAL_PASSWORD}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "maag.ops.cli",
            "audit",
            "replay",
            case_id,
            "--format",
            "json",
            "--user",
            "auditor-1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    events = [e["event"] for e in body["entries"]]
    assert events.index("Referral.Received") < events.index("PanelCase.Listed")
    assert body["state"]["status"] == "listed"
    text = subprocess.run(
        [sys.executable, "-m", "maag.ops.cli", "audit", "replay", case_id, "--user", "auditor-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert text.returncode == 0, text.stderr
    assert f"Case {case_id}" in text.stdout and "status:            listed" in text.stdout
    assert "Zebedee" not in text.stdout
    reads = [e for e in client.replay(case_id).entries if e.event == "CaseRead.Recorded"]
    assert any(
        r.actor == {"user_id": "auditor-1", "role": "auditor", "agency": "county-audit"}
        for r in reads
    )
