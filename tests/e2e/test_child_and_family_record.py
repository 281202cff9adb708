"""Issue 33 end to end, every service a process on the real broker, database and identity
provider: a midwife refers a baby before birth (the mother recorded, consent naming her),
the birth is recorded with the baby's NHS number, a school refers the child with their NHS
number and UPN and the panel confirms the match the NHS number makes certain, a second
school's referral is found by the UPN alone, the Early Help Assessment is recorded and
authorised, and the signed consent form is uploaded. Then the data protection officer
erases the child's cases, and the erasure scan (`tests.support.erasure`) finds none of
what the record, the assessment or the document held anywhere in the system."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from contracts.child import upn_check_letter
from contracts.limits import latest_today
from maag.ops.demo.client import Client, lead_decision, referrer, wait_for
from tests.support.erasure import everything_held, found
from tests.support.referral import details
from tests.support.system import System

DPO = "privacy-officer-1"
PANEL = "panel-social-care"
LEAD = "lead-education"


def a_valid_nhs_number() -> str:
    """A random NHS number that passes its modulus 11 check (found nowhere else)."""
    while True:
        nine = f"9{secrets.randbelow(10**8):08d}"
        check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11
        if check != 10:
            return nine + str(check % 11)


def a_valid_upn() -> str:
    rest = f"801{secrets.randbelow(10**9):09d}"
    letter = upn_check_letter(rest)
    assert letter is not None
    return letter + rest


def _values() -> dict[str, str]:
    tag = secrets.token_hex(4)
    return {
        "baby's family name": f"Oyelaran{tag}",
        "baby's given name": f"Temperance{tag}",
        "address": f"3 Quince Yard {tag}, Harlow CM20 2QQ",
        "mother's name": f"Folasade Oyelaran{tag}",
        "mother's phone": f"01279 {secrets.randbelow(10**6):06d}",
        "first language": f"Yoruba-{tag}",
        "NHS number": a_valid_nhs_number(),
        "UPN": a_valid_upn(),
        "assessment's child voice": f"I like the breakfast club {tag}",
        "assessment's need": f"speech delay noticed at nursery {tag}",
        "document's name": f"consent-{tag}.pdf",
        "document's content": f"Signed by Folasade {tag}",
    }


def _pdf(text: str) -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Title (" + text.encode() + b") >> endobj\n%%EOF\n"


def test_a_baby_referred_before_birth_is_one_child_across_referrals_and_erased_whole(
    system: System,
) -> None:
    v = _values()
    client = system.client()
    client.ready()
    due = (latest_today() + timedelta(days=100)).isoformat()
    mother = {
        "name": v["mother's name"],
        "relationship": "mother",
        "parental_responsibility": True,
        "may_contact": True,
        "phone": v["mother's phone"],
    }
    consent = {
        "given_by": "parent-carer",
        "given_by_name": v["mother's name"],
        "scope": ["primary-health", "education", "childrens-centres"],
        "given_on": "2026-11-20",
        "how_obtained": "at the booking appointment",
    }
    unborn = {
        "given_name": "Baby",
        "family_name": v["baby's family name"],
        "expected_date_of_delivery": due,
        "address": v["address"],
        "first_language": v["first language"],
        "parents_carers": [mother],
    }
    midwife = client.refer(
        details(referring_agency="primary-health", child=unborn, consent=consent),
        agency="primary-health",
    )
    case = midwife["case_id"]
    seen = _as(client, "GET", f"/referrals/{case}", referrer("primary-health"))
    assert seen["child"]["expected_date_of_delivery"] == due

    # The birth: the record takes the date, the name and the NHS number.
    born = {
        "date_of_birth": datetime.now(UTC).date().isoformat(),  # not before the referral
        "given_name": v["baby's given name"],
        "sex": "female",
        "nhs_number": v["NHS number"],
    }
    seen = _as(client, "POST", f"/referrals/{case}/birth", referrer("primary-health"), json=born)
    assert seen["child"]["nhs_number"] == v["NHS number"]

    # A school's referral with the NHS number and the UPN: offered as certain, confirmed.
    child = {
        "given_name": v["baby's given name"],
        "family_name": v["baby's family name"],
        "date_of_birth": born["date_of_birth"],
        "address": v["address"],
        "nhs_number": v["NHS number"],
        "upn": v["UPN"],
        "parents_carers": [mother],
    }
    school = client.refer(details(child=child, consent=consent))
    (offer,) = _as(client, "GET", f"/referrals/{school['case_id']}/matches", PANEL)
    assert offer["child_id"] == midwife["child_id"] and offer["certainty"] == "certain"
    assert "nhs-number" in offer["keys_matched"]
    decision = {"child_id": offer["child_id"], "decision": "confirm", "reason": "same NHS number"}
    _as(client, "POST", f"/referrals/{school['case_id']}/child-match", PANEL, json=decision)

    # Another school, years on, knows the child by the UPN alone (another surname, moved).
    renamed = {
        "given_name": v["baby's given name"],
        "family_name": "Adebayo",
        "date_of_birth": born["date_of_birth"],
        "address": "elsewhere in Harlow",
        "upn": v["UPN"],
    }
    later = client.refer(
        details(
            caf_reference="CAF-2026-000124",
            child=renamed,
            consent={**consent, "given_by_name": None},
        )
    )
    (offer,) = _as(client, "GET", f"/referrals/{later['case_id']}/matches", PANEL)
    assert offer["child_id"] == midwife["child_id"] and offer["certainty"] == "certain"
    assert "upn" in offer["keys_matched"] and "family" not in offer["keys_matched"]

    # The Early Help Assessment on the child's open case (the school's referral joined it),
    # authorised by the lead professional the panel names.
    meeting = client.convene(case)
    client.make_quorate(meeting)
    client.decide(
        meeting, lead_decision(case, LEAD, "Lee Lead", "education", "lee.lead@school.example")
    )
    assessment = {
        "assessed_on": "2026-12-01",
        "child_development": {"health": {"needs": v["assessment's need"]}},
        "child_voice": v["assessment's child voice"],
    }
    path = f"/referrals/{case}/assessment"
    recorded = _as(client, "POST", path, referrer("primary-health"), json=assessment, expect=201)
    wait_for(
        "the lead professional's access",
        lambda: (
            client.status("GET", "referral", f"/referrals/{case}/notes", user=LEAD) == 200 or None
        ),
    )
    version = recorded["current_version"]
    _as(client, "POST", f"{path}/authorisation", LEAD, json={"version": version})
    summary = _as(client, "GET", f"{path}/summary", PANEL)
    assert v["assessment's need"] not in str(summary)

    # The signed consent form, uploaded to the midwife's case; its download recorded.
    upload = httpx.post(
        f"{client.urls['referral']}/referrals/{case}/documents",
        headers=_bearer(client, referrer("primary-health")),
        files={"file": (v["document's name"], _pdf(v["document's content"]), "application/pdf")},
        data={"kind": "consent-form"},
        timeout=30.0,
    )
    assert upload.status_code == 201, upload.text
    document = upload.json()
    got = httpx.get(
        f"{client.urls['referral']}/referrals/{case}/documents/{document['document_id']}",
        headers=_bearer(client, referrer("primary-health")),
        timeout=30.0,
    )
    assert got.status_code == 200 and v["document's content"].encode() in got.content

    # The child's cases erased: nothing of the record, the assessment or the papers is left.
    for case_id in (case, school["case_id"], later["case_id"]):
        _as(
            client,
            "POST",
            f"/privacy/cases/{case_id}/erasure",
            DPO,
            json={"reason": "the family asked for erasure (UK GDPR Article 17)"},
            headers={"Idempotency-Key": f"erase-{uuid.uuid4()}"},
        )
    seen = _as(client, "GET", f"/referrals/{case}", referrer("primary-health"))
    assert seen["child"] is None
    everything = everything_held(system)
    assert found({"case": case}, everything.stores)  # the scan reads what it claims to
    assert found(v, everything.all) == []


def _as(client: Client, method: str, path: str, user: str, **kwargs: Any) -> Any:
    return client.call(method, "referral", path, user=user, **kwargs)


def _bearer(client: Client, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens.person(user)}"}
