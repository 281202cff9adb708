"""The holes a security review found, tried again the way it found them: every service a
process on the real broker and database, tokens from the real Keycloak.

- an erasure's Idempotency-Key replayed on another case, under a legal hold;
- a Tendring panel member withdrawing consent on a Colchester case, backdated;
- an agency's case system listing its agency's referrals."""

from __future__ import annotations

import httpx

from maag.ops.demo.client import referrer
from tests.support import identity
from tests.support.flow import CONSENT
from tests.support.referral import details
from tests.support.system import System

DPO = "privacy-officer-1"


def test_an_erasure_key_replayed_on_a_held_case_erases_nothing(system: System) -> None:
    client = system.client()
    client.ready()
    a = client.refer(details(consent=CONSENT, caf_reference="CAF-2026-003001"))["case_id"]
    b = client.refer(details(consent=CONSENT, caf_reference="CAF-2026-003002"))["case_id"]
    key = {"Idempotency-Key": "erase-k1-0001"}
    erase = {"reason": "the young person asked for erasure"}
    client.call(
        "POST", "referral", f"/privacy/cases/{a}/erasure", user=DPO, json=erase, headers=key
    )
    hold = {"reason": "an inquiry asked that nothing be destroyed", "until": "2031-03-31"}
    client.call("POST", "referral", f"/privacy/cases/{b}/legal-hold", user=DPO, json=hold)
    refused = client.call(
        "POST",
        "referral",
        f"/privacy/cases/{b}/erasure",
        user=DPO,
        expect=409,
        json=erase,
        headers=key,
    )
    assert "Idempotency-Key" in refused["detail"]
    seen = client.call("GET", "referral", f"/referrals/{b}", user=referrer("education"))
    assert seen["child"] is not None and seen["personal_data_erased"] is False
    record = client.call("GET", "referral", f"/privacy/cases/{b}", user=DPO)
    assert record["legal_hold"]["until"] == "2031-03-31" and record["personal_data_erased"] is None


def test_a_tendring_member_cannot_touch_a_colchester_case(system: System) -> None:
    client = system.client()
    client.ready()
    case_id = client.refer(details(district="colchester", consent=CONSENT))["case_id"]
    client.wait_listed(case_id)
    withdrawal = {"withdrawn_on": "2020-01-01", "reason": "x"}
    path = f"/referrals/{case_id}/consent/withdrawal"
    client.call("POST", "referral", path, user="panel-tendring-1", expect=404, json=withdrawal)
    client.call("GET", "referral", f"/referrals/{case_id}", user="panel-tendring-1", expect=404)
    client.call("GET", "panel", f"/cases/{case_id}", user="panel-tendring-1", expect=404)
    seen = client.call("GET", "referral", f"/referrals/{case_id}", user=referrer("education"))
    assert seen["status"] == "accepted" and seen["consent"]["given_on"] == "2026-11-27"
    # nothing was recorded, so nothing can reach the panel: no withdrawal in the case's record
    events = [e.event for e in client.replay(case_id).entries]
    assert "Referral.ConsentWithdrawn" not in events and "Referral.Received" in events
    assert client.panel_case(case_id)["status"] == "active"


def test_an_agency_system_submits_and_reads_outcomes_but_lists_nothing(system: System) -> None:
    client = system.client()
    client.ready()
    token = {"Authorization": f"Bearer {identity.agency_token('education')}"}
    url = system.url("referral")
    made = httpx.post(f"{url}/referrals", json=details(consent=CONSENT), headers=token, timeout=30)
    assert made.status_code == 201, made.text
    outcome = httpx.get(f"{url}/referrals/{made.json()['case_id']}", headers=token, timeout=30)
    assert outcome.status_code == 200 and outcome.json()["child"] is None
    listed = httpx.get(f"{url}/referrals", headers=token, timeout=30)
    assert listed.status_code == 403, listed.text
