"""Issue 29 end to end: a case erased leaves nothing behind. Every service a process on the
real broker and database; the case carries a child, a CAF reference, needs, consent wording,
a case note and its correction, and a plan with needs, a goal and a meeting summary. After
the data protection officer erases it, the raw bytes of every table of every service (the
event stores decrypted with the store's own cipher key, as a database administrator holding
MAAG_CIPHER_KEY but not the key-encryption keys would read them), every topic, every email
and every log are searched for each of those values: none is found, while what was decided
is still there."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from maag.ops.demo.client import lead_decision, referrer, wait_for
from tests.support.erasure import everything_held, found
from tests.support.referral import details
from tests.support.system import System

DPO = "privacy-officer-1"
LEAD = "lead-education"


def _values() -> dict[str, str]:
    """What identifies this child or is about their life, each value found nowhere else."""
    tag = secrets.token_hex(4)
    return {
        "given name": f"Quillon{tag}",
        "family name": f"Zebedee{tag}",
        "address": f"7 Quixote Row {tag}, Harlow",
        "caf reference": f"CAF-2026-{secrets.randbelow(10**8):08d}",
        "need": f"speech and language {tag}",
        "consent wording": f"verbally from grandmother Ottoline {tag}",
        "case note": f"Ottoline {tag} disclosed rent arrears",
        "correction reason": f"misheard the amount {tag}",
        "plan need": f"settled sleep {tag}",
        "plan goal": f"sleeps through five nights {tag}",
        "meeting summary": f"first TAC with Ottoline {tag}",
    }


def _plan(system: System, case_id: str, change: dict[str, Any]) -> Any:
    return system.client().call("POST", "panel", f"/cases/{case_id}/plan", user=LEAD, json=change)


def test_an_erased_case_leaves_nothing_behind_in_any_store_topic_email_or_log(
    system: System,
) -> None:
    values = _values()
    client = system.client()
    client.ready()
    consent = {
        "given_by": "parent-carer",
        "scope": ["camhs", "youth-service"],
        "given_on": "2026-11-27",
        "how_obtained": values["consent wording"],
    }
    child = {
        "given_name": values["given name"],
        "family_name": values["family name"],
        "date_of_birth": "2013-07-21",
        "address": values["address"],
    }
    case_id = client.refer(
        details(
            child=child,
            caf_reference=values["caf reference"],
            needs=[values["need"]],
            consent=consent,
        )
    )["case_id"]
    notes = f"/referrals/{case_id}/notes"
    first = client.call(
        "POST",
        "referral",
        notes,
        user=referrer("education"),
        expect=201,
        json={"text": values["case note"], "about_date": "2026-11-30"},
    )
    client.call(
        "POST",
        "referral",
        notes,
        user=referrer("education"),
        expect=201,
        json={
            "text": "rent arrears, as corrected",
            "about_date": "2026-11-30",
            "supersedes": first["note_id"],
            "reason": values["correction reason"],
        },
    )
    meeting = client.convene(case_id)
    client.make_quorate(meeting)
    client.decide(
        meeting, lead_decision(case_id, LEAD, "Lee Lead", "education", "lee.lead@school.example")
    )
    _plan(
        system,
        case_id,
        {
            "kind": "add-member",
            "member_id": LEAD,
            "name": "Lee Lead",
            "organisation": "education",
            "role": "SENCo",
        },
    )
    _plan(
        system,
        case_id,
        {
            "kind": "record-meeting",
            "held_on": "2026-11-25",
            "attended": [LEAD, "family"],
            "consent_reconfirmed": True,
            "summary": values["meeting summary"],
        },
    )
    _plan(system, case_id, {"kind": "record-need", "need_id": "n1", "text": values["plan need"]})
    _plan(
        system,
        case_id,
        {"kind": "set-goal", "goal_id": "g1", "need_id": "n1", "text": values["plan goal"]},
    )
    wait_for(
        "the lead professional's email",
        lambda: [n for n in client.notifications(case_id) if n["status"] == "sent"] or None,
    )
    seen = client.call("GET", "referral", f"/referrals/{case_id}", user=referrer("education"))
    assert seen["caf_reference"] == values["caf reference"]
    assert seen["consent"]["how_obtained"] == values["consent wording"]
    plan = client.call("GET", "panel", f"/cases/{case_id}/plan", user=LEAD)
    assert plan["needs"]["n1"] == values["plan need"]

    client.call(
        "POST",
        "referral",
        f"/privacy/cases/{case_id}/erasure",
        user=DPO,
        json={"reason": "the young person asked for erasure (UK GDPR Article 17)"},
        headers={"Idempotency-Key": f"erase-{uuid.uuid4()}"},
    )

    # Every read path: the referral's, the plan's.
    seen = client.call("GET", "referral", f"/referrals/{case_id}", user=referrer("education"))
    assert seen["child"] is None and seen["caf_reference"] is None and seen["needs"] is None
    assert seen["consent"]["how_obtained"] is None and seen["status"] == "accepted"
    erased_plan = wait_for(
        "the panel to destroy the case's key",
        lambda: (
            p
            if (p := client.call("GET", "panel", f"/cases/{case_id}/plan", user=LEAD))["needs"][
                "n1"
            ]
            is None
            else None
        ),
    )
    assert erased_plan["goals"]["g1"]["text"] is None
    assert erased_plan["meetings"][0]["summary"] is None
    assert erased_plan["team"][LEAD]["name"] == "Lee Lead"  # a professional: not the family's

    # Every byte the system holds.
    everything = everything_held(system)
    # The scan reads what it claims to: the case and its decisions are in every kind of place.
    assert found({"case": case_id}, everything.stores)
    assert found({"case": case_id}, everything.events)
    assert found({"case": case_id}, everything.topics)
    assert found({"lead's email": "lee.lead@school.example"}, everything.emails)
    assert found({"decision": "LeadProfessionalAssigned"}, everything.topics)
    assert found(values, everything.all) == []
