"""The whole flow through the real entrypoints, each service in its own process on the real
broker and database: an agency's referral (HTTP) is accepted, listed on its district MAAG's
next agenda, the quorate panel assigns a lead professional, and the lead professional's
email arrives at a real SMTP server. The child's name is on no shared topic, in no email
and in no log line."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from contracts.reference import Role
from contracts.topics import ALL_TOPICS, REFERRAL_SUBMISSIONS
from maag.ops.infra.mailbox import messages
from tests.integration.runtime.conftest import read_to_end
from tests.support.identity import auth
from tests.support.referral import CHILD_NAME, details
from tests.support.system import System


def _wait(what: str, check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_referral_becomes_a_listed_case_a_decision_and_an_email(
    system: System, kafka_bootstrap: str, topic_prefix: str
) -> None:
    for name in ("referral", "panel", "commissioning", "notifications"):
        _wait(
            f"{name} ready", lambda n=name: httpx.get(f"{system.url(n)}/readyz").status_code == 200
        )

    consent = {
        "given_by": "parent-carer",
        "scope": ["camhs", "housing"],
        "given_on": "2026-11-27",
        "how_obtained": "signed form",
    }
    r = httpx.post(
        f"{system.url('referral')}/referrals",
        json=details(district="maldon", consent=consent),
        headers={**auth(), "Idempotency-Key": f"e2e-{uuid.uuid4().hex}"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "accepted"
    case_id = r.json()["case_id"]

    coord = auth(Role.PANEL_MEMBER, "social-care", "coord-1")
    chair = auth([Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care", "chair-e2e")
    case = _wait(
        "the case at the panel",
        lambda: (
            c
            if (c := httpx.get(f"{system.url('panel')}/cases/{case_id}", headers=coord)).status_code
            == 200
            and c.json()["listed_on"]
            else None
        ),
    )
    meeting = case.json()["listed_on"][0]
    agenda = httpx.get(f"{system.url('panel')}/meetings/{meeting}/agenda", headers=coord).json()
    assert agenda["district"] == "maldon" and agenda["panel"] == "maag"
    # that meeting is days away: it records nothing before it starts
    early = httpx.post(
        f"{system.url('panel')}/meetings/{meeting}/attendance",
        headers=auth(Role.PANEL_MEMBER, "social-care"),
        json={"name": "P early"},
    )
    assert early.status_code == 409
    assert early.json()["detail"].startswith("meeting_id: the meeting starts at ")
    # so the coordinator calls the Maldon MAAG to meet now and brings the case forward
    called = httpx.post(
        f"{system.url('panel')}/meetings",
        headers=coord,
        json={
            "panel": "maag",
            "district": "maldon",
            "starts_at": datetime.now(UTC).isoformat(),
        },
    )
    assert called.status_code == 201, called.text
    meeting = called.json()["meeting_id"]
    r = httpx.post(
        f"{system.url('panel')}/meetings/{meeting}/agenda",
        headers=coord,
        json={"case_id": case_id, "reason": "the family cannot wait a week"},
    )
    assert r.status_code == 200, r.text

    for agency in ("social-care", "education", "camhs", "police"):  # each signs in
        r = httpx.post(
            f"{system.url('panel')}/meetings/{meeting}/attendance",
            headers=auth(Role.PANEL_MEMBER, agency),
            json={"name": f"P {agency}"},
        )
        assert r.status_code == 200, r.text
    r = httpx.post(
        f"{system.url('panel')}/meetings/{meeting}/decisions",
        headers=chair,
        json={
            "kind": "assign-lead-professional",
            "case_id": case_id,
            "professional_id": "lp-1",
            "name": "Lee Lead",
            "agency": "education",
            "work_email": "lee.lead@school.example",
        },
    )
    assert r.status_code == 200, r.text

    ((path, msg),) = _wait("the email", lambda: messages(system.mail) or None)
    assert msg["To"] == "lee.lead@school.example"
    assert msg["X-MAAG-Case"] == case_id
    raw = path.read_text()
    assert f"{system.url('web')}/cases/{case_id}" in raw.replace("=\n", "")  # the web app's page

    # The panel agrees a package; commissioning buys it from the district's quadrant team,
    # and that provider is told.
    r = httpx.post(
        f"{system.url('panel')}/meetings/{meeting}/decisions",
        headers=chair,
        json={
            "kind": "request-package",
            "case_id": case_id,
            "interventions": [
                {
                    "service": "family support",
                    "hours_per_week": 4,
                    "starts_on": "2026-12-07",
                    "review_interval_weeks": 12,
                    "estimated_weekly_cost_pence": 14000,
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    commissioner = auth(Role.COMMISSIONER, "childrens-services", "comm-1")
    packages = _wait(
        "the package",
        lambda: (
            httpx.get(
                f"{system.url('commissioning')}/cases/{case_id}/packages", headers=commissioner
            ).json()
            or None
        ),
    )
    assert (
        packages[0]["lines"][0]["provider_id"] == "inhouse-mid"
        and packages[0]["status"] == "active"
    )
    to_provider = _wait(
        "the provider's email",
        lambda: (
            [
                (p, m)
                for p, m in messages(system.mail)
                if m["To"] == "mid-family-support@essex.example"
            ]
            or None
        ),
    )
    assert "package commissioned from you" in to_provider[0][1]["Subject"]
    raw += to_provider[0][0].read_text()

    # No personal data on any topic the services write, in the email, or in any log line.
    shared = [t for t in ALL_TOPICS if t is not REFERRAL_SUBMISSIONS]
    blobs = [raw, system.logs()]
    for spec in shared:
        for rec in asyncio.run(read_to_end(kafka_bootstrap, spec.named(topic_prefix))):
            blobs.append((rec.value or b"").decode(errors="replace"))
            blobs.extend(v.decode(errors="replace") for _, v in rec.headers)
    for part in [*CHILD_NAME.split(), "2014-03-09", "Example Street"]:
        assert not any(part in b for b in blobs), f"{part} leaked"
