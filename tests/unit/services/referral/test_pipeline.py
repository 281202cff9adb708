"""The one pipeline and the one policy on the referral service's routes: a key bound to the
request it was first used for, a replay that re-checks who may and runs nothing, a panel
member's district binding here as at the panel, notes following the child's details, an
agency's case system that submits and reads outcomes only, tokens from other clients
refused, and lists that record no reads."""

from __future__ import annotations

import uuid
from typing import Any

from contracts.reference import Role
from tests.support import identity
from tests.support.identity import auth, someone
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api, lead_assigned

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}


def dpo() -> dict[str, str]:
    return auth(Role.PRIVACY_OFFICER, "county-information-governance")


def _case(api: Api, **override: Any) -> str:
    r = api.client.post("/referrals", json=details(**override), headers=auth())
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


def _keyed(key: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or dpo()), "Idempotency-Key": key}


def _events(api: Api, case_id: str) -> list[str]:
    return [type(e).__name__ for e in api.app.events.get(uuid.UUID(case_id))]


def test_a_key_replayed_on_another_case_is_refused_and_erases_nothing(api: Api) -> None:
    """It once erased case B's child, under a legal hold, with case A's answer."""
    a, b = _case(api), _case(api)
    erase = {"reason": "the young person asked (UK GDPR Article 17)"}
    first = api.client.post(f"/privacy/cases/{a}/erasure", json=erase, headers=_keyed("key-k1-00"))
    assert first.status_code == 200, first.text
    hold = {"reason": "a claim is expected", "until": "2031-03-31"}
    assert api.client.post(f"/privacy/cases/{b}/legal-hold", json=hold, headers=dpo()).is_success
    replayed = api.client.post(
        f"/privacy/cases/{b}/erasure", json=erase, headers=_keyed("key-k1-00")
    )
    assert replayed.status_code == 409, replayed.text
    assert "Idempotency-Key" in replayed.json()["detail"]
    assert api.app.keyring.find(uuid.UUID(b)) is not None  # the key is there
    assert api.client.get(f"/referrals/{b}", headers=auth()).json()["child"] is not None
    assert "PersonalDataErased" not in _events(api, b)
    # the same request again is answered as the first was, and does nothing more
    again = api.client.post(f"/privacy/cases/{a}/erasure", json=erase, headers=_keyed("key-k1-00"))
    assert (again.status_code, again.json()) == (200, first.json())
    assert _events(api, a).count("PersonalDataErased") == 1
    # another body with the same key is another request too
    other = api.client.post(
        f"/privacy/cases/{a}/erasure", json={"reason": "another"}, headers=_keyed("key-k1-00")
    )
    assert other.status_code == 409


def test_a_key_used_for_one_kind_of_request_is_refused_for_another(api: Api) -> None:
    case_id = _case(api, consent=CONSENT)
    referrer = _keyed("key-k2-00", auth())
    note = {"text": "seen at school", "about_date": "2026-11-30"}
    assert api.client.post(f"/referrals/{case_id}/notes", json=note, headers=referrer).is_success
    withdrawal = {"withdrawn_on": "2026-12-01", "reason": "x"}
    r = api.client.post(
        f"/referrals/{case_id}/consent/withdrawal", json=withdrawal, headers=referrer
    )
    assert r.status_code == 409 and "Idempotency-Key" in r.text
    assert "ConsentWithdrawn" not in _events(api, case_id)


def test_a_replay_re_checks_who_may_and_a_lead_replaced_is_refused(api: Api) -> None:
    case_id = _case(api, consent={**CONSENT, "scope": ["education"]})
    lead_assigned(api.app, uuid.UUID(case_id), "lp-1", "education")
    lead = _keyed("key-k3-00", auth(Role.LEAD_PROFESSIONAL, user="lp-1"))
    note = {"text": "met the family", "about_date": "2026-11-30"}
    assert (
        api.client.post(f"/referrals/{case_id}/notes", json=note, headers=lead).status_code == 201
    )
    lead_assigned(api.app, uuid.UUID(case_id), "lp-2", "education")
    again = api.client.post(f"/referrals/{case_id}/notes", json=note, headers=lead)
    assert again.status_code == 404, again.text  # no longer a case they can see


def test_a_panel_member_acts_only_on_their_districts_cases_here_too(api: Api) -> None:
    case_id = _case(api, consent=CONSENT)  # Harlow
    tendring = auth(Role.PANEL_MEMBER, "social-care", districts=["tendring"], tiers=["maag"])
    withdrawal = {"withdrawn_on": "2020-01-01", "reason": "x"}
    path = f"/referrals/{case_id}/consent/withdrawal"
    r = api.client.post(path, json=withdrawal, headers=tendring)
    assert r.status_code == 404, r.text
    assert api.client.get(f"/referrals/{case_id}", headers=tendring).status_code == 404
    assert "ConsentWithdrawn" not in _events(api, case_id)
    harlow = auth(Role.PANEL_MEMBER, "social-care", districts=["harlow"], tiers=["maag"])
    assert api.client.get(f"/referrals/{case_id}", headers=harlow).status_code == 200
    earp_only = auth(Role.PANEL_MEMBER, "social-care", districts=["harlow"], tiers=["earp"])
    assert api.client.get(f"/referrals/{case_id}", headers=earp_only).status_code == 404
    assert api.client.post(path, json=withdrawal, headers=harlow).status_code == 200


def test_notes_follow_the_childs_details(api: Api) -> None:
    case_id = _case(api, consent=CONSENT)
    note = {"text": "mother disclosed domestic abuse", "about_date": "2026-11-30"}
    assert api.client.post(f"/referrals/{case_id}/notes", json=note, headers=auth()).is_success
    auditor = auth(Role.AUDITOR, "county-audit")
    for path in ("notes", "chronology"):
        r = api.client.get(f"/referrals/{case_id}/{path}", headers=auditor)
        assert r.status_code == 403, r.text
        assert "domestic abuse" not in r.text
    # a lead whose agency the consent does not name reads neither the child nor the notes
    lead_assigned(api.app, uuid.UUID(case_id), "lp-7", "police")
    lead = auth(Role.LEAD_PROFESSIONAL, "police", user="lp-7")
    assert api.client.get(f"/referrals/{case_id}", headers=lead).json()["child"] is None
    assert api.client.get(f"/referrals/{case_id}/notes", headers=lead).status_code == 403


def _system_token(agency: str = "education", client: str | None = None) -> dict[str, str]:
    issuer = identity.local()
    who = someone(Role.REFERRER, agency, user=f"svc-agency-{agency}")
    token = issuer.sign(issuer.claims(who, azp=client or f"agency-{agency}"))
    return {"Authorization": f"Bearer {token}"}


def test_an_agency_system_submits_and_reads_outcomes_only(api: Api) -> None:
    system = _system_token()
    r = api.client.post("/referrals", json=details(consent=CONSENT), headers=system)
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    outcome = api.client.get(f"/referrals/{case_id}", headers=system)
    assert outcome.status_code == 200 and outcome.json()["status"] == "accepted"
    assert outcome.json()["child"] is None
    assert api.client.get("/referrals", headers=system).status_code == 403
    for path, body in (
        ("notes", {"text": "x", "about_date": "2026-11-30"}),
        ("consent/withdrawal", {"withdrawn_on": "2026-12-01", "reason": "x"}),
    ):
        assert (
            api.client.post(f"/referrals/{case_id}/{path}", json=body, headers=system).status_code
            == 403
        )
    assert api.client.get(f"/referrals/{case_id}/notes", headers=system).status_code == 403


def test_a_token_issued_to_another_client_is_refused(api: Api) -> None:
    for client in ("account-console", "agency-police"):  # not ours; another agency's system
        r = api.client.get("/referrals", headers=_system_token("education", client))
        assert r.status_code == 401, (client, r.text)
        assert "issued to client" in r.json()["detail"]


def test_a_list_records_no_read_and_shows_only_what_the_caller_may_read(api: Api) -> None:
    cases = [_case(api) for _ in range(3)]
    api.projector.catch_up_once()
    before = sum(1 for n in api.app.notifications(1, 10_000) if "CaseRead" in n.topic)
    listed = api.client.get("/referrals", headers=auth())
    assert listed.status_code == 200
    assert {r["case_id"] for r in listed.json()} == set(cases)
    after = sum(1 for n in api.app.notifications(1, 10_000) if "CaseRead" in n.topic)
    assert after == before


def test_a_chronology_names_no_case_the_reader_cannot_see(api: Api) -> None:
    """A probe referral once listed, in its own chronology, the case ids of another
    agency's referrals of the child it matched."""
    child = {
        "given_name": "Zephyrine",
        "family_name": "Aldous",
        "date_of_birth": "2015-02-02",
        "address": "3 Elm Row, Harlow CM20 2AA",
    }
    theirs = api.client.post(
        "/referrals",
        json=details(child=child, referring_agency="police", consent=CONSENT),
        headers=auth(agency="police"),
    ).json()["case_id"]
    probe = _case(api, child=child, consent=CONSENT)
    r = api.client.get(f"/referrals/{probe}/chronology", headers=auth())
    assert r.status_code == 200, r.text
    assert theirs not in r.text
    offered = [i for i in r.json() if i.get("event") == "Referral.MatchesOffered"]
    assert offered and all(i["details"]["offers"] == [] for i in offered)
