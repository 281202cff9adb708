"""The lead professional's consent to reconfirm (`GET /my/consent/due`): the open cases they
lead whose consent is due to be reconfirmed with the family within four weeks or is past due,
overdue first then soonest; found through the list's index of each case's lead, and kept only
while the policy still says the caller leads the case; each listed case a recorded read; the
lead records consent again on the case, and it clears."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from contracts.reference import Role
from maag.runtime.evidence.reads import CaseRead
from maag.runtime.web.auth import Caller
from services.referral.application.queries.consent_due import consent_due
from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api, closed_at_panel, lead_assigned

LEAD, OTHER_LEAD, AGENCY = "lead-camhs-1", "lead-camhs-2", "camhs"


def _consent(given_on: date) -> dict[str, Any]:
    return {
        "given_by": "parent-carer",
        "scope": ["camhs", "youth-service"],
        "given_on": given_on.isoformat(),
        "how_obtained": "signed form",
    }


def _led(api: Api, given_on: date, lead: str = LEAD, caf: str = "CAF-2026-000123") -> str:
    """An accepted referral whose consent was given on `given_on`, its lead named by the panel."""
    body = details(consent=_consent(given_on), caf_reference=caf)
    r = api.client.post("/referrals", json=body, headers=auth())
    assert r.status_code == 201 and r.json()["status"] == "accepted", r.text
    case_id = str(r.json()["case_id"])
    lead_assigned(api.app, uuid.UUID(case_id), lead, AGENCY)
    return case_id


def _as_lead(user: str = LEAD) -> dict[str, str]:
    return auth(Role.LEAD_PROFESSIONAL, AGENCY, user)


def test_the_lead_s_tray_lists_consent_due_within_four_weeks_or_past_overdue_first(
    api: Api,
) -> None:
    today = date.today()
    overdue = _led(api, today - timedelta(days=380), caf="CAF-2026-000301")  # due 15 days ago
    soon = _led(api, today - timedelta(days=350), caf="CAF-2026-000302")  # due in 15 days
    later = _led(api, today - timedelta(days=300))  # due in 65 days: not yet shown
    theirs = _led(api, today - timedelta(days=350), lead=OTHER_LEAD)  # another lead's
    closed = _led(api, today - timedelta(days=380))
    closed_at_panel(api.app, uuid.UUID(closed), "needs met", today)
    withdrawn = _led(api, today - timedelta(days=380))
    r = api.client.post(
        f"/referrals/{withdrawn}/consent/withdrawal",
        json={"withdrawn_on": today.isoformat(), "reason": "the family moved away"},
        headers=auth(),
    )
    assert r.status_code == 200, r.text
    api.projector.catch_up()
    caller = Caller.of(LEAD, Role.LEAD_PROFESSIONAL, AGENCY)
    found = consent_due(api.app, caller, today)
    assert [(str(i.case_id), i.due_on, i.overdue) for i in found] == [
        (overdue, today - timedelta(days=15), True),
        (soon, today + timedelta(days=15), False),
    ]
    assert (found[0].caf_reference, found[0].district) == ("CAF-2026-000301", "harlow")
    assert found[1].given_on == today - timedelta(days=350)
    # each case listed is a recorded read, and only those
    recorded = [api.app.mapper.to_domain_event(n) for n in api.app.notifications_after(0)]
    read = {str(e.case_id) for e in recorded if isinstance(e, CaseRead.Recorded)}
    assert {overdue, soon} <= read and not {later, theirs, closed, withdrawn} & read
    # the other lead sees only theirs
    other = Caller.of(OTHER_LEAD, Role.LEAD_PROFESSIONAL, AGENCY)
    assert [str(i.case_id) for i in consent_due(api.app, other, today)] == [theirs]


def test_the_lead_records_consent_again_and_the_item_clears(api: Api) -> None:
    today = date.today()
    case_id = _led(api, today - timedelta(days=360))
    api.projector.catch_up()
    listed = api.client.get("/my/consent/due", headers=_as_lead())
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()
    assert item["case_id"] == case_id and item["overdue"] is False
    assert item["due_on"] == (today + timedelta(days=5)).isoformat()
    # the lead records it again, with the family, today: the next is due in a year
    again = api.client.post(
        f"/referrals/{case_id}/consent",
        json=_consent(today),
        headers={**_as_lead(), "Idempotency-Key": "reconfirm-1"},
    )
    assert again.status_code == 200, again.text
    assert again.json()["consent_reconfirm_by"] == today.replace(year=today.year + 1).isoformat()
    assert again.json()["status"] == "accepted"
    assert api.client.get("/my/consent/due", headers=_as_lead()).json() == []


def test_a_lead_reassigned_before_the_index_catches_up_is_not_shown_the_case(api: Api) -> None:
    today = date.today()
    case_id = _led(api, today - timedelta(days=360))
    api.projector.catch_up()
    lead_assigned(api.app, uuid.UUID(case_id), OTHER_LEAD, AGENCY)  # the index not caught up
    caller = Caller.of(LEAD, Role.LEAD_PROFESSIONAL, AGENCY)
    assert consent_due(api.app, caller, today) == []
    api.projector.catch_up()
    other = Caller.of(OTHER_LEAD, Role.LEAD_PROFESSIONAL, AGENCY)
    assert [str(i.case_id) for i in consent_due(api.app, other, today)] == [case_id]


def test_only_a_lead_professional_has_a_consent_tray_and_a_former_lead_may_not_reconfirm(
    api: Api,
) -> None:
    today = date.today()
    case_id = _led(api, today - timedelta(days=360))
    referrer = api.client.get("/my/consent/due", headers=auth())
    assert referrer.status_code == 403 and "lead-professional" in referrer.text
    lead_assigned(api.app, uuid.UUID(case_id), OTHER_LEAD, AGENCY)
    former = api.client.post(
        f"/referrals/{case_id}/consent",
        json=_consent(today),
        headers={**_as_lead(), "Idempotency-Key": "reconfirm-2"},
    )
    assert former.status_code == 404  # they may no longer know the case


def test_a_closed_case_leaves_its_lead_s_index(api: Api) -> None:
    today = date.today()
    case_id = _led(api, today - timedelta(days=360))
    api.projector.catch_up()
    assert [str(c) for c in api.app.cases.led_by(LEAD)] == [case_id]
    closed_at_panel(api.app, uuid.UUID(case_id), "needs met", today)
    api.projector.catch_up()
    assert api.app.cases.led_by(LEAD) == []


def test_a_lead_whose_agency_the_consent_does_not_name_may_not_give_themselves_the_child(
    api: Api,
) -> None:
    """Recording consent again is for a lead who may already read the child: one from an
    agency the consent leaves out may not record consent naming it, nor a safeguarding basis,
    nor withdraw it; nor is consent due on their tray."""
    today = date.today()
    body = details(consent=_consent(today - timedelta(days=360)))
    r = api.client.post("/referrals", json=body, headers=auth())
    case_id = str(r.json()["case_id"])
    lead_assigned(api.app, uuid.UUID(case_id), "lead-police-1", "police")
    api.projector.catch_up()
    police = auth(Role.LEAD_PROFESSIONAL, "police", "lead-police-1")
    seen = api.client.get(f"/referrals/{case_id}", headers=police)
    assert seen.status_code == 200 and seen.json()["child"] is None
    widened = {**_consent(today), "scope": ["camhs", "police"]}
    for path, payload in (
        ("consent", widened),
        (
            "safeguarding-basis",
            {
                "recorded_on": today.isoformat(),
                "reason": "to read it",
                "professional_id": "lead-police-1",
                "professional_name": "A Lead",
            },
        ),
        ("consent/withdrawal", {"withdrawn_on": today.isoformat(), "reason": "x"}),
    ):
        refused = api.client.post(
            f"/referrals/{case_id}/{path}",
            json=payload,
            headers={**police, "Idempotency-Key": f"lead-police-{path}"},
        )
        assert refused.status_code == 403, (path, refused.text)
        assert "child" not in refused.text
    assert api.client.get(f"/referrals/{case_id}", headers=police).json()["child"] is None
    caller = Caller.of("lead-police-1", Role.LEAD_PROFESSIONAL, "police")
    assert consent_due(api.app, caller, today) == []
