"""The safeguarding hand-off, both ways, through the real entrypoints on the real broker,
database, SMTP server and identity provider: a referral with a concern of significant harm
reaches the district's front door (its own topic, and an email), the referring agency is
told on its outcomes topic, the front door reads the child and steps the case down, the
district's MAAG lists it, and the agency is told that too. The child's name is on no topic
the services write, in no email and in no log line."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx

from contracts.reference import Agency, Role
from contracts.topics import AGENCY_OUTCOMES, ALL_TOPICS, FRONT_DOOR, REFERRAL_SUBMISSIONS
from maag.ops.demo.client import wait_for
from maag.ops.infra.mailbox import messages
from tests.integration.runtime.conftest import read_to_end
from tests.support.identity import auth
from tests.support.referral import CHILD_NAME, details
from tests.support.system import System

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "housing"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}


def _types_for(records: list[Any], case_id: str) -> list[str]:
    """The event types of `records` about the case, in order (the type's name only)."""
    return [
        dict(r.headers)["ce_type"].decode().rsplit(".", 2)[1]
        for r in records
        if json.loads(r.value)["case_id"] == case_id
    ]


def test_significant_harm_reaches_the_front_door_which_steps_it_down_into_the_maag(
    system: System, kafka_bootstrap: str, topic_prefix: str
) -> None:
    system.client().ready()
    r = httpx.post(
        f"{system.url('referral')}/referrals",
        json=details(district="basildon", significant_harm_concern=True, consent=CONSENT),
        headers={**auth(), "Idempotency-Key": f"e2e-{uuid.uuid4().hex}"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "redirected-to-social-care"
    case_id = r.json()["case_id"]

    # The district's front door is emailed a link to the case (and nothing about the child).
    ((path, email),) = wait_for(
        "the front door's email",
        lambda: (
            [(p, m) for p, m in messages(system.mail) if m["To"] == "mash-basildon@essex.example"]
            or None
        ),
    )
    assert email["X-MAAG-Case"] == case_id
    raw = path.read_text()
    assert f"{system.url('web')}/front-door/{case_id}" in raw.replace("=\n", "")

    # Its own topic holds the referral; the front door reads the child from the service.
    door = wait_for(
        "the front door's topic",
        lambda: (
            _types_for(
                asyncio.run(read_to_end(kafka_bootstrap, FRONT_DOOR.named(topic_prefix))), case_id
            )
            or None
        ),
    )
    assert door == ["SocialCareReferralMade"]
    worker = auth(Role.FRONT_DOOR, "social-care", "front-door-e2e")
    listed = httpx.get(f"{system.url('referral')}/front-door", headers=worker)
    assert listed.status_code == 200 and case_id in [c["case_id"] for c in listed.json()]
    seen = httpx.get(f"{system.url('referral')}/referrals/{case_id}", headers=worker)
    assert seen.status_code == 200 and seen.json()["child"]["family_name"] == CHILD_NAME.split()[1]

    r = httpx.post(
        f"{system.url('referral')}/referrals/{case_id}/front-door",
        json={"answer": "stepped-down", "reason": "assessed: family support needed, no s47"},
        headers={**worker, "Idempotency-Key": f"e2e-{uuid.uuid4().hex}"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"

    # The district's MAAG opens the case and lists it, saying where it came from.
    coord = auth(Role.PANEL_MEMBER, "social-care", "coord-1")
    case = wait_for(
        "the case listed at the Basildon MAAG",
        lambda: (
            c.json()
            if (c := httpx.get(f"{system.url('panel')}/cases/{case_id}", headers=coord)).status_code
            == 200
            and c.json()["listed_on"]
            else None
        ),
    )
    assert case["panel"] == "maag" and case["district"] == "basildon"
    agenda = httpx.get(
        f"{system.url('panel')}/meetings/{case['listed_on'][0]}/agenda", headers=coord
    ).json()
    (item,) = [i for i in agenda["agenda"] if i["case_id"] == case_id]
    assert "children's social care" in item["reason"]

    # The referring agency was told each step, on its own outcomes topic.
    outcomes = AGENCY_OUTCOMES[Agency.EDUCATION].named(topic_prefix)
    told = wait_for(
        "the agency's outcomes",
        lambda: (
            t
            if "ReferralAccepted"
            in (t := _types_for(asyncio.run(read_to_end(kafka_bootstrap, outcomes)), case_id))
            else None
        ),
    )
    assert told == [
        "ReferralRedirectedToSocialCare",
        "SocialCareReferralMade",
        "SocialCareAnswered",
        "ReferralAccepted",
    ]

    # No personal data on any topic the services write, in the emails, or in any log line.
    blobs = [raw, system.logs()]
    for spec in (t for t in ALL_TOPICS if t is not REFERRAL_SUBMISSIONS):
        for rec in asyncio.run(read_to_end(kafka_bootstrap, spec.named(topic_prefix))):
            blobs.append((rec.value or b"").decode(errors="replace"))
    for part in [*CHILD_NAME.split(), "2014-03-09", "Example Street"]:
        assert not any(part in b for b in blobs), f"{part} leaked"
