"""Every write, then still flowing: each service as a process on the real broker, database and
identity provider; every write route of every service (the list read from the services' own
OpenAPI documents, and every `kind` a route's body offers) called at least once with a valid
request; then every service is ready, no relay or loop has stopped, and a fresh referral
still reaches the panel and its lead professional's inbox.

A case note once stopped the referral outbox (its events were neither published nor
internal) and with it every referral in the county: its notes test never ran the relay."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from maag.ops.demo.client import (
    Client,
    lead_decision,
    package_decision,
    referrer,
    review_decision,
    wait_for,
)
from maag.ops.infra.mailbox import messages
from tests.support import flow
from tests.support.referral import details
from tests.support.system import SERVICES, System

WRITES = ("post", "put", "patch", "delete")
DISTRICT = "harlow"
CONSENT = {**flow.CONSENT, "scope": ["education", "primary-health", "camhs"]}
CHILD = {
    "given_name": "Ottoline",
    "family_name": "Brackenbury",
    "date_of_birth": "2016-04-02",
    "address": "9 Tye Green, Harlow CM18 6QY",
}
DPO = "privacy-officer-1"
COMMISSIONER = "commissioner-1"
COORDINATOR = "coordinator-1"
LEAD = "lead-education"
FRONT_DOOR = "front-door-1"  # children's social care's front door (the MASH)


@dataclass
class Recording(Client):
    """The demo client, noting each write that succeeded: (service, method, path, kind)."""

    writes: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def call(
        self, method: str, service: str, path: str, *, user: str, expect: int = 200, **kw: Any
    ) -> Any:
        body = kw.get("json")
        result = super().call(method, service, path, user=user, expect=expect, **kw)
        if method.lower() in WRITES and expect < 300:
            kind = body.get("kind") if isinstance(body, dict) else None
            self.writes.append((service, method.lower(), path, kind))
        return result


def _write_routes(system: System) -> dict[tuple[str, str, str], set[str]]:
    """(service, method, path template) -> the `kind`s its body offers, from each service's
    own OpenAPI document (so a new write route, or a new kind, without a case here fails)."""
    routes: dict[tuple[str, str, str], set[str]] = {}
    for name in SERVICES:
        doc = httpx.get(f"{system.url(name)}/openapi.json", timeout=30).json()
        for path, operations in doc["paths"].items():
            for method, operation in operations.items():
                if method in WRITES:
                    body = operation.get("requestBody", {}).get("content", {})
                    schema = body.get("application/json", {}).get("schema", {})
                    routes[(name, method, path)] = _kinds(schema, doc)
    return routes


def _kinds(schema: dict[str, Any], doc: dict[str, Any]) -> set[str]:
    """The values of `kind` among the body's alternatives (a discriminated union)."""
    if "$ref" in schema:
        return _kinds(_resolve(schema["$ref"], doc), doc)
    alternatives = schema.get("oneOf") or schema.get("anyOf") or []
    found = {k for a in alternatives for k in _kinds(a, doc)}
    kind = schema.get("properties", {}).get("kind", {})
    if "const" in kind:
        found.add(kind["const"])
    found.update(kind.get("enum", []) if len(kind.get("enum", [])) == 1 else [])
    return found


def _resolve(ref: str, doc: dict[str, Any]) -> dict[str, Any]:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def _matches(template: str, path: str) -> bool:
    return re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path) is not None


def _refer(client: Recording, agency: str = "education", **more: Any) -> dict[str, Any]:
    body = details(district=DISTRICT, referring_agency=agency, **more)
    return client.refer(body, agency=agency)


def _plan(client: Recording, case_id: str, change: dict[str, Any]) -> None:
    client.call("POST", "panel", f"/cases/{case_id}/plan", user=LEAD, json=change)


def _line(service: str = "family support") -> dict[str, Any]:
    return {
        "service": service,
        "hours_per_week": 2,
        "starts_on": (date.today() + timedelta(days=7)).isoformat(),
        "review_interval_weeks": 12,
        "estimated_weekly_cost_pence": 7000,
    }


def _commissioning(client: Recording) -> None:
    today = date.today()
    fy = today.year if today.month >= 4 else today.year - 1
    provider = {
        "provider_id": "pvi-every-write",
        "name": "Every Write Family Support",
        "kind": "pvi",
        "services": ["mentoring"],
        "districts": [DISTRICT],
        "weekly_capacity": 40,
        "unit_cost_pence": 3500,
    }
    client.call("POST", "commissioning", "/providers", user=COMMISSIONER, expect=201, json=provider)
    client.call(
        "PUT",
        "commissioning",
        "/providers/pvi-every-write/capacity",
        user=COMMISSIONER,
        json={"weekly_capacity": 50},
    )
    client.call(
        "PUT",
        "commissioning",
        f"/budgets/maag:{DISTRICT}/{fy}",
        user=COMMISSIONER,
        json={"amount_pence": 500_000_000},
    )


def _consent_and_notes(client: Recording) -> dict[str, str]:
    """Notes and their correction, consent given late, a safeguarding basis, a withdrawal."""
    noted = _refer(client, consent=CONSENT, caf_reference="CAF-2026-001001")["case_id"]
    path = f"/referrals/{noted}/notes"
    first = client.call(
        "POST",
        "referral",
        path,
        user=referrer("education"),
        expect=201,
        json={"text": "Mother disclosed money worries", "about_date": "2026-11-30"},
    )
    client.call(
        "POST",
        "referral",
        path,
        user=referrer("education"),
        expect=201,
        json={
            "text": "Mother disclosed rent arrears",
            "about_date": "2026-11-30",
            "supersedes": first["note_id"],
            "reason": "the first note misheard",
        },
    )
    waiting = _refer(client, caf_reference="CAF-2026-001002")
    assert waiting["status"] == "pending-consent", waiting
    given = client.call(
        "POST",
        "referral",
        f"/referrals/{waiting['case_id']}/consent",
        user=referrer("education"),
        json=CONSENT,
    )
    assert given["status"] == "accepted", given
    unconsented = _refer(client, caf_reference="CAF-2026-001003")["case_id"]
    client.call(
        "POST",
        "referral",
        f"/referrals/{unconsented}/safeguarding-basis",
        user=referrer("education"),
        json={
            "professional_id": "dsl-7",
            "professional_name": "Dee Safeguarding",
            "reason": "the family cannot be reached and the child is at risk",
            "recorded_on": "2026-12-01",
        },
    )
    withdrawn = _refer(client, consent=CONSENT, caf_reference="CAF-2026-001004")["case_id"]
    client.call(
        "POST",
        "referral",
        f"/referrals/{withdrawn}/consent/withdrawal",
        user=referrer("education"),
        json={"withdrawn_on": "2026-12-02", "reason": "the family withdrew consent"},
    )
    return {
        "noted": noted,
        "consented": waiting["case_id"],
        "basis": unconsented,
        "withdrawn": withdrawn,
    }


def _child_index(client: Recording, sibling_of: str) -> None:
    first = _refer(client, "education", child=CHILD, consent=CONSENT, caf_reference="CAF-2026-1011")
    variant = {**CHILD, "family_name": "Brakenbury", "address": "9 Tye Grn, HARLOW cm18 6qy"}
    second = _refer(
        client, "primary-health", child=variant, consent=CONSENT, caf_reference="CAF-2026-1012"
    )
    assert second["matches_offered"] == 0, second  # the school's referral is not theirs
    offers = client.call(
        "GET", "referral", f"/referrals/{second['case_id']}/matches", user=COORDINATOR
    )
    assert [o["child_id"] for o in offers] == [first["child_id"]]
    client.call(
        "POST",
        "referral",
        f"/referrals/{second['case_id']}/child-match",
        user=COORDINATOR,
        json={"child_id": first["child_id"], "decision": "confirm", "reason": "same child"},
    )
    client.call(
        "POST",
        "referral",
        f"/referrals/{first['case_id']}/household",
        user=referrer("education"),
        json={"sibling_case_id": sibling_of},
    )


def _privacy(client: Recording, held: str) -> None:
    erased = _refer(client, consent=CONSENT, caf_reference="CAF-2026-001021")["case_id"]
    client.call(
        "POST",
        "referral",
        f"/privacy/cases/{erased}/erasure",
        user=DPO,
        json={"reason": "the young person asked for erasure (UK GDPR Article 17)"},
    )
    until = (date.today() + timedelta(days=365)).isoformat()
    client.call(
        "POST",
        "referral",
        f"/privacy/cases/{held}/legal-hold",
        user=DPO,
        json={"reason": "a claim is expected", "until": until},
    )
    client.call(
        "POST",
        "referral",
        f"/privacy/cases/{held}/legal-hold/release",
        user=DPO,
        json={"reason": "the claim was settled"},
    )


def _meetings(client: Recording) -> None:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=45)
    meeting = client.call(
        "POST",
        "panel",
        "/meetings",
        user=COORDINATOR,
        expect=201,
        json={"panel": "maag", "district": DISTRICT, "starts_at": starts.isoformat()},
    )
    client.call(
        "POST",
        "panel",
        f"/meetings/{meeting['meeting_id']}/expected-attendees",
        user=COORDINATOR,
        json={"person_id": "panel-housing", "name": "Hal Housing", "agency": "housing"},
    )


def _worked_case(client: Recording, case_id: str) -> None:
    """The agenda circulated, lead professional, package, the whole plan, and the package's
    review."""
    programme = client.wait_listed(case_id)  # days ahead: before its agenda's cut-off
    client.call("POST", "panel", f"/meetings/{programme}/circulation", user=COORDINATOR)
    meeting = client.convene(case_id)
    client.make_quorate(meeting)  # every attendance a POST of its own
    # the panel's governance: apologies, an interest declared before the decision, minutes
    at = f"/meetings/{meeting}"
    client.call("POST", "panel", f"{at}/apologies", user="panel-housing", json={"name": "Hal"})
    client.call(
        "POST",
        "panel",
        f"{at}/declarations",
        user="panel-pvi",
        json={
            "case_id": case_id,
            "name": "Pat",
            "interest": "our nursery may provide",
            "withdraws": False,
        },
    )
    client.call(
        "POST",
        "panel",
        f"{at}/minutes",
        user="chair-1",
        json={"case_id": case_id, "discussion": "sleep and school attendance"},
    )
    client.decide(meeting, lead_decision(case_id, LEAD, "Lee Lead", "education", "lee@sch.example"))
    client.decide(meeting, package_decision(case_id, _line()))
    (package,) = client.wait_packages(case_id)
    for member, org, role in ((LEAD, "education", "SENCo"), ("hv-9", "primary-health", "HV")):
        change = {"member_id": member, "name": member, "organisation": org, "role": role}
        _plan(client, case_id, {"kind": "add-member", **change})
    _plan(
        client,
        case_id,
        {
            "kind": "record-meeting",
            "held_on": "2026-12-01",
            "attended": [LEAD, "hv-9", "family"],
            "consent_reconfirmed": True,
            "summary": "first meeting of the team",
        },
    )
    _plan(client, case_id, {"kind": "record-need", "need_id": "n1", "text": "sleep"})
    _plan(client, case_id, {"kind": "set-goal", "goal_id": "g1", "need_id": "n1", "text": "8h"})
    _plan(
        client,
        case_id,
        {
            "kind": "agree-action",
            "action_id": "a1",
            "goal_id": "g1",
            "text": "bedtime routine",
            "owner": "hv-9",
            "due_on": "2027-01-10",
            "intervention": "family support",
        },
    )
    _plan(
        client,
        case_id,
        {
            "kind": "record-progress",
            "goal_id": "g1",
            "status": "on-track",
            "recorded_on": "2026-12-03",
        },
    )
    _plan(
        client,
        case_id,
        {"kind": "agree-plan", "agreed_on": "2026-12-01", "review_on": "2027-02-01"},
    )
    _plan(
        client,
        case_id,
        {
            "kind": "review-plan",
            "reviewed_on": "2026-12-04",
            "outcomes": [{"goal_id": "g1", "outcome": "partly"}],
        },
    )
    review_meeting = client.convene(case_id, listing=2)
    client.make_quorate(review_meeting)
    client.decide(
        review_meeting,
        review_decision(case_id, package["package_id"], "continue", "sleep improving"),
    )


def _moved_deferred_closed(client: Recording, cases: dict[str, str]) -> None:
    moved = cases["basis"]  # accepted on the safeguarding basis, so listed
    meeting = client.convene(moved)
    client.make_quorate(meeting)
    client.decide(meeting, {"kind": "escalate", "case_id": moved, "to": "earp", "reason": "risk"})
    earp = client.convene(moved, "earp")
    client.make_quorate(earp, "earp")
    client.decide(
        earp, {"kind": "step-down", "case_id": moved, "to": "maag", "reason": "eased"}, "earp"
    )
    back = client.convene(moved)
    # at its MAAG again, the case is referred to children's social care, which takes it on
    client.make_quorate(back)
    client.decide(
        back, {"kind": "refer-to-social-care", "case_id": moved, "reason": "a disclosure"}
    )
    wait_for(
        "the referral at the front door",
        lambda: (
            True
            if moved
            in [
                c["case_id"] for c in client.call("GET", "referral", "/front-door", user=FRONT_DOOR)
            ]
            else None
        ),
    )
    client.call(
        "POST",
        "referral",
        f"/referrals/{moved}/front-door",
        user=FRONT_DOOR,
        json={"answer": "accepted", "reason": "section 47 enquiry opened"},
    )
    deferred = cases["consented"]
    meeting = client.convene(deferred)
    client.make_quorate(meeting)
    client.decide(meeting, {"kind": "defer", "case_id": deferred, "reason": "school report due"})
    next_meeting = client.convene(deferred)  # listed again, on the next meeting
    client.make_quorate(next_meeting)
    client.decide(next_meeting, {"kind": "close", "case_id": deferred, "reason": "needs met"})


def _still_flowing(system: System, client: Recording) -> None:
    for name in SERVICES:
        ready = httpx.get(f"{system.url(name)}/readyz", timeout=30)
        assert ready.status_code == 200, (name, ready.text)
        metrics = httpx.get(f"{system.url(name)}/metrics", timeout=30).text
        blocked = [ln for ln in metrics.splitlines() if ln.startswith("maag_outbox_blocked{")]
        assert blocked and all(ln.endswith(" 0.0") for ln in blocked), (name, blocked)
    fresh = _refer(client, consent=CONSENT, caf_reference="CAF-2026-001099")["case_id"]
    meeting = client.convene(fresh)
    client.make_quorate(meeting)
    email = "fresh.lead@school.example"
    client.decide(meeting, lead_decision(fresh, "lead-fresh", "Fay Fresh", "education", email))
    wait_for(
        "the fresh case's lead professional emailed",
        lambda: (
            True
            if any(
                str(m["X-MAAG-Case"]) == fresh and email in str(m["To"])
                for _, m in messages(system.mail)
            )
            else None
        ),
        120,
    )
    logs = system.logs()
    assert "outbox blocked" not in logs
    assert "background loop failed" not in logs


def _child_record(client: Recording, worked: str) -> None:
    """A birth recorded on a pre-birth referral; on the worked case (its lead named), a
    document uploaded, and the Early Help Assessment recorded, authorised by the lead,
    reviewed and closed."""
    due = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    unborn = {k: v for k, v in CHILD.items() if k != "date_of_birth"}
    unborn |= {"given_name": "Baby", "expected_date_of_delivery": due}
    midwife = referrer("primary-health")
    case = _refer(client, "primary-health", child=unborn, consent=CONSENT)["case_id"]
    born = {"date_of_birth": datetime.now(UTC).date().isoformat(), "nhs_number": "9434765919"}
    client.call("POST", "referral", f"/referrals/{case}/birth", user=midwife, json=born)
    client.call(
        "POST",
        "referral",
        f"/referrals/{worked}/documents",
        user=referrer("education"),
        expect=201,
        files={"file": ("consent.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        data={"kind": "consent-form"},
    )
    path = f"/referrals/{worked}/assessment"
    body = {"assessed_on": "2026-12-01", "child_voice": "I like football club"}
    recorded = client.call(
        "POST", "referral", path, user=referrer("education"), expect=201, json=body
    )
    on = datetime.now(UTC).date().isoformat()
    version = {"version": recorded["current_version"]}
    # the referral service learns who leads the case from the panel's event
    notes = f"/referrals/{worked}/notes"
    wait_for(
        "the lead's access to the case",
        lambda: client.status("GET", "referral", notes, user=LEAD) == 200 or None,
    )
    client.call("POST", "referral", f"{path}/authorisation", user=LEAD, json=version)
    review = {"reviewed_on": on, "note": "the plan is working"}
    client.call("POST", "referral", f"{path}/reviews", user=LEAD, json=review)
    closure = {"reason": "outcomes met"}
    client.call("POST", "referral", f"{path}/closure", user=referrer("education"), json=closure)


def test_every_write_route_of_every_service_then_referrals_still_flow(system: System) -> None:
    client = Recording(system.client().urls, system.client().tokens, timeout=120)
    client.ready()
    routes = _write_routes(system)
    _commissioning(client)
    _meetings(client)
    cases = _consent_and_notes(client)
    _child_index(client, sibling_of=cases["consented"])
    _privacy(client, held=cases["withdrawn"])
    _worked_case(client, cases["noted"])
    _child_record(client, cases["noted"])
    _moved_deferred_closed(client, cases)

    # Every write route, and every kind of body it takes, was called and succeeded.
    missing = []
    for (service, method, template), kinds in sorted(routes.items()):
        called = [
            kind
            for s, m, path, kind in client.writes
            if (s, m) == (service, method) and _matches(template, path)
        ]
        if not called:
            missing.append(f"{method.upper()} {service}{template}")
        missing += [f"{method.upper()} {service}{template} kind={k}" for k in kinds - set(called)]
    assert not missing, f"write routes this test never called: {missing}"
    assert len(routes) >= 18 and any(kinds for kinds in routes.values())

    _still_flowing(system, client)
