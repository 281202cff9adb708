"""Data protection on the referral service: a child's details sealed under their case's own
key and erased by destroying it; legal holds; the retention schedule; subject access; the
key-encryption key rotated without touching a stored event."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import date
from typing import Any

import pytest

from contracts.reference import Role
from maag.runtime.evidence.reads import CaseRead
from maag.runtime.evidence.timeline import describe, merge
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import KeyringError, SqlKeyring
from maag.runtime.web.auth import Caller
from services.referral.adapters.keyring import KEYS
from services.referral.application.queries.retention_due import cases_due, privacy_due
from services.referral.audit import AUDIT
from services.referral.domain.referral import Referral
from services.referral.domain.retention import (
    DEFAULT_SCHEDULE,
    Basis,
    RetentionOutcome,
    Rule,
    ScheduleError,
    parse_schedule,
)
from services.referral.domain.values import Closure
from tests.support.identity import auth
from tests.support.referral import CHILD_NAME, KEKS, details
from tests.unit.services.referral.conftest import Api, closed_at_panel


def dpo() -> dict[str, str]:
    return auth(Role.PRIVACY_OFFICER, "county-information-governance")


BASIS = {
    "professional_id": "sw-9",
    "professional_name": "Sam Worker",
    "reason": "risk of harm",
    "recorded_on": "2026-11-27",
}


def _case(api: Api, **override: Any) -> str:
    r = api.client.post("/referrals", json=details(**override), headers=auth())
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


def _read(api: Api, case_id: str) -> dict[str, Any]:
    r = api.client.get(f"/referrals/{case_id}", headers=auth())
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_the_childs_details_are_stored_sealed_under_the_cases_own_key(api: Api) -> None:
    case_id = _case(api)
    (received, *_) = api.app.events.get(uuid.UUID(case_id))
    assert isinstance(received, Referral.Received)
    assert "child" not in received.details and received.sealed_child
    assert CHILD_NAME.split()[0] not in json.dumps(vars(received), default=str)
    # the fingerprint is keyed: it cannot confirm a guessed child
    unkeyed = hashlib.sha256(json.dumps(details(), sort_keys=True).encode()).hexdigest()
    assert received.fingerprint != unkeyed
    assert _read(api, case_id)["child"]["given_name"] == CHILD_NAME.split()[0]


def test_erasure_destroys_the_key_and_the_details_read_as_erased_everywhere(api: Api) -> None:
    case_id = _case(api, consent=None)
    api.client.post(f"/referrals/{case_id}/safeguarding-basis", json=BASIS, headers=auth())
    r = api.client.post(
        f"/privacy/cases/{case_id}/erasure",
        json={"reason": "the young person asked"},
        headers=dpo(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["personal_data_erased"]["reason"] == "the young person asked"
    assert api.app.keyring.find(uuid.UUID(case_id)) is None
    seen = _read(api, case_id)
    assert seen["child"] is None and seen["personal_data_erased"] is True
    assert seen["status"] == "accepted"  # the decisions stay
    # the replay: every decision, and the erasure, who and why
    events = list(api.app.events.get(uuid.UUID(case_id)))
    entries = [describe("referral", uuid.UUID(case_id), e, AUDIT) for e in events]
    replay = merge(uuid.UUID(case_id), entries)
    assert [e.event for e in replay.entries][-1] == "Referral.PersonalDataErased"
    assert replay.state.personal_data == "erased" and replay.state.status == "accepted"
    # a resubmission under the case's key cannot be recognised any more: refused, not doubled
    again = api.client.post(
        "/referrals", json=details(), headers={**auth(), "Idempotency-Key": "erased-0001"}
    )
    assert again.status_code == 201  # a new key is a new case
    # erasing twice records nothing more
    api.client.post(f"/privacy/cases/{case_id}/erasure", json={"reason": "again"}, headers=dpo())
    names = [type(e).__name__ for e in api.app.events.get(uuid.UUID(case_id))]
    assert names.count("PersonalDataErased") == 1


@pytest.mark.parametrize(
    ("role", "body", "status", "says"),
    [
        (Role.PRIVACY_OFFICER, {}, 422, "body.reason"),
        (Role.PRIVACY_OFFICER, {"reason": ""}, 422, "body.reason"),
        (Role.AUDITOR, {"reason": "x"}, 403, "privacy-officer"),
        (Role.REFERRER, {"reason": "x"}, 403, "privacy-officer"),
    ],
)
def test_an_erasure_without_a_reason_or_the_role_is_refused_and_nothing_is_erased(
    api: Api, role: Role, body: dict[str, Any], status: int, says: str
) -> None:
    case_id = _case(api)
    headers = auth(
        role, "county-information-governance" if role is Role.PRIVACY_OFFICER else "education"
    )
    r = api.client.post(f"/privacy/cases/{case_id}/erasure", json=body, headers=headers)
    assert r.status_code == status and says in r.text, r.text
    assert _read(api, case_id)["child"] is not None


def test_a_legal_hold_blocks_erasure_until_released_and_shows_in_the_replay(api: Api) -> None:
    case_id = _case(api)
    hold = {"reason": "the county's solicitor: a claim is expected", "until": "2031-03-31"}
    placed = api.client.post(f"/privacy/cases/{case_id}/legal-hold", json=hold, headers=dpo())
    assert placed.status_code == 200 and placed.json()["legal_hold"]["until"] == "2031-03-31"
    refused = api.client.post(
        f"/privacy/cases/{case_id}/erasure", json={"reason": "retention"}, headers=dpo()
    )
    assert refused.status_code == 409
    assert "legal hold until 2031-03-31" in refused.text and "nothing can be erased" in refused.text
    assert _read(api, case_id)["child"] is not None
    assert api.app.keyring.find(uuid.UUID(case_id)) is not None
    events = list(api.app.events.get(uuid.UUID(case_id)))
    entries = [describe("referral", uuid.UUID(case_id), e, AUDIT) for e in events]
    assert merge(uuid.UUID(case_id), entries).state.legal_hold == "until 2031-03-31"
    past = api.client.post(
        f"/privacy/cases/{case_id}/legal-hold",
        json={"reason": "x", "until": "2001-01-01"},
        headers=dpo(),
    )
    assert past.status_code == 409 and "until today or later" in past.text
    released = api.client.post(
        f"/privacy/cases/{case_id}/legal-hold/release",
        json={"reason": "claim settled"},
        headers=dpo(),
    )
    assert released.status_code == 200 and released.json()["legal_hold"] is None
    done = api.client.post(
        f"/privacy/cases/{case_id}/erasure", json={"reason": "retention"}, headers=dpo()
    )
    assert done.status_code == 200


def test_retention_lists_what_is_due_marks_holds_and_refuses_an_unknown_outcome(
    api: Api,
) -> None:
    declined = _case(api, agencies_requested=["camhs"])
    redirected = _case(api, significant_harm_concern=True)
    held = _case(api, agencies_requested=["youth-service"])
    open_case = _case(api)  # waiting for consent: its rule is fy+6, not yet due
    api.client.post(
        f"/privacy/cases/{held}/legal-hold",
        json={"reason": "inquiry", "until": "2040-01-01"},
        headers=dpo(),
    )
    assert _read(api, declined)["status"] == "declined"
    # The schedule in force says declined and redirected cases go at once.
    schedule = parse_schedule("declined=fy+0,redirected-to-social-care=fy+0")
    due = cases_due(
        api.app,
        [uuid.UUID(c) for c in (declined, redirected, held, open_case)],
        schedule,
        date(2027, 4, 1),
    )
    assert {(str(d.case_id), d.held) for d in due} == {
        (declined, False),
        (redirected, False),
        (held, True),
    }
    r = api.client.get("/privacy/retention", params={"outcome": "closed"}, headers=dpo())
    assert r.status_code == 200 and r.json() == []  # nothing closed; defaults: not yet due
    bad = api.client.get("/privacy/retention", params={"outcome": "finished"}, headers=dpo())
    assert bad.status_code == 422 and "unknown outcome 'finished'" in bad.text


def test_the_schedules_rules_and_their_dates() -> None:
    closed, declined, *_ = DEFAULT_SCHEDULE
    assert (closed.basis, closed.years) == (Basis.DATE_OF_BIRTH, 25)
    assert closed.due(date(2012, 2, 29), date(2026, 1, 1)) == date(2037, 2, 28)
    # six years after the end of the financial year of the last change (31 March)
    assert declined.due(None, date(2026, 11, 27)) == date(2033, 3, 31)
    assert declined.due(None, date(2027, 2, 1)) == date(2033, 3, 31)
    assert closed.due(None, date(2026, 1, 1)) is None  # no date of birth: never by dob
    assert parse_schedule("closed=dob+30")[0] == Rule(
        RetentionOutcome.CLOSED, Basis.DATE_OF_BIRTH, 30
    )
    for bad, says in (
        ("finished=fy+6", "unknown outcome 'finished'"),
        ("closed=6 years", r"a rule is <outcome>=dob\+<years>"),
    ):
        with pytest.raises(ScheduleError, match=says):
            parse_schedule(bad)


def test_subject_access_gives_the_child_everything_and_withholds_other_people(api: Api) -> None:
    case_id = _case(api, consent=None)
    api.client.post(f"/referrals/{case_id}/safeguarding-basis", json=BASIS, headers=auth())
    r = api.client.get(f"/privacy/cases/{case_id}/export", headers=dpo())
    assert r.status_code == 200, r.text
    found = r.json()
    assert found["child"]["family_name"] == CHILD_NAME.split()[1]
    assert found["referral"]["safeguarding_basis"]["professional_name"].startswith("[withheld")
    assert found["referral"]["safeguarding_basis"]["reason"] == "risk of harm"
    assert "Sam Worker" not in r.text and "sw-9" not in r.text
    page = api.client.get(
        f"/privacy/cases/{case_id}/export", params={"format": "html"}, headers=dpo()
    )
    assert page.status_code == 200 and "<h1>What MAAG holds about case" in page.text
    assert "Sam Worker" not in page.text
    recorded = [api.app.mapper.to_domain_event(n) for n in api.app.notifications_after(0)]
    exported = [
        e for e in recorded if isinstance(e, CaseRead.Recorded) and e.endpoint.endswith("/export")
    ]
    assert exported and exported[-1].personal_data is True  # the export itself, recorded
    other = api.client.get(
        f"/privacy/cases/{case_id}/export", headers=auth(Role.AUDITOR, "county-audit")
    )
    assert other.status_code == 403


def test_rotating_the_key_encryption_key_rewraps_data_keys_and_touches_no_event(
    api: Api, settings: Settings
) -> None:
    case_id = uuid.UUID(_case(api))
    key = api.app.keyring.find(case_id)
    stored_before = [bytes(n.state) for n in api.app.notifications_after(0)]
    engine = read_model_engine(settings, "referral")
    new = ("test-2", os.urandom(32))
    with pytest.raises(KeyringError, match="no longer lists"):
        SqlKeyring(engine, (new,), KEYS).find(case_id)  # the old key dropped too soon
    rotated = SqlKeyring(engine, (new, *KEKS), KEYS)
    assert rotated.rotate() == 1
    assert rotated.wrapped_by() == {"test-2": 1}
    only_new = SqlKeyring(engine, (new,), KEYS)
    assert only_new.find(case_id) == key  # the same data key, wrapped anew
    api.app.keyring = only_new  # the service restarted with only the new key
    assert _read(api, str(case_id))["child"]["given_name"] == CHILD_NAME.split()[0]
    assert [bytes(n.state) for n in api.app.notifications_after(0)][: len(stored_before)] == (
        stored_before
    )


def test_a_case_closed_at_panel_is_kept_by_its_date_of_birth_rule(api: Api) -> None:
    """The panel's CaseClosed reaches the referral (its policy): from then the case ends as
    closed, and its details are due 25 years after the child's birth by default."""
    case_id = uuid.UUID(_case(api, consent={**CONSENT_GIVEN}))
    closed_at_panel(api.app, case_id, "needs met", date(2027, 1, 5))
    referral: Referral = api.app.repository.get(case_id)
    assert referral.closed == Closure("needs met", date(2027, 1, 5))
    due = cases_due(api.app, [case_id], DEFAULT_SCHEDULE, date(2039, 3, 9))
    assert [(str(d.rule), d.due_on) for d in due] == [("closed=dob+25", date(2039, 3, 9))]
    assert cases_due(api.app, [case_id], DEFAULT_SCHEDULE, date(2039, 3, 8)) == []


CONSENT_GIVEN = {
    "given_by": "parent-carer",
    "scope": ["camhs"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}


def test_the_privacy_officers_tray_lists_retention_due_and_holds_ending_soonest_first(
    api: Api,
) -> None:
    """Within four weeks or past: a hold's last day (overdue once passed unreleased) and a
    case's retention period (overdue once ended); a hold released or a case erased clears."""
    today = date(2027, 4, 1)
    declined = _case(api, agencies_requested=["camhs"])  # fy+0: due 31 March 2027
    soon = _case(api)  # a hold ending in two weeks
    later = _case(api)  # a hold ending in five weeks: not yet shown
    lapsed = _case(api)  # a hold whose last day has passed, never released
    erased = _case(api, agencies_requested=["youth-service"])  # declined, then erased
    hold = "/privacy/cases/{}/legal-hold"
    for case_id, until in ((soon, "2027-04-15"), (later, "2027-05-06"), (lapsed, "2027-03-20")):
        placed = api.client.post(
            hold.format(case_id), json={"reason": "a claim", "until": until}, headers=dpo()
        )
        assert placed.status_code == 200, placed.text
    gone = api.client.post(
        f"/privacy/cases/{erased}/erasure", json={"reason": "asked"}, headers=dpo()
    )
    assert gone.status_code == 200, gone.text
    assert gone.json()["caf_reference"] is None  # erased with the child's details
    api.projector.catch_up()
    api.app.schedule = parse_schedule("declined=fy+0")
    caller = Caller.of("privacy-officer-1", Role.PRIVACY_OFFICER, "county-information-governance")
    found = privacy_due(api.app, caller, today)
    assert [(str(i.case_id), i.kind, i.due_on, i.overdue) for i in found] == [
        (lapsed, "hold-ending", date(2027, 3, 20), True),
        (declined, "retention", date(2027, 3, 31), True),
        (soon, "hold-ending", date(2027, 4, 15), False),
    ]
    assert found[1].rule == "declined=fy+0" and not found[1].held
    assert found[2].rule is None and found[2].held
    # each case listed is a recorded read
    recorded = [api.app.mapper.to_domain_event(n) for n in api.app.notifications_after(0)]
    read = {str(e.case_id) for e in recorded if isinstance(e, CaseRead.Recorded)}
    assert {lapsed, declined, soon} <= read and later not in read
    # done: the hold released, the case erased; each clears
    released = api.client.post(
        f"/privacy/cases/{lapsed}/legal-hold/release", json={"reason": "ended"}, headers=dpo()
    )
    assert released.status_code == 200, released.text
    api.client.post(f"/privacy/cases/{declined}/erasure", json={"reason": "due"}, headers=dpo())
    assert [str(i.case_id) for i in privacy_due(api.app, caller, today)] == [soon]
    # the route: the data protection officer's alone
    assert api.client.get("/privacy/due", headers=dpo()).status_code == 200
    other = api.client.get("/privacy/due", headers=auth(Role.AUDITOR, "county-audit"))
    assert other.status_code == 403 and "privacy-officer" in other.text


def test_the_privacy_record_says_the_case_s_district_reference_and_retention_date(
    api: Api,
) -> None:
    declined = _case(api, agencies_requested=["camhs"])
    record = api.client.get(f"/privacy/cases/{declined}", headers=dpo()).json()
    assert record["district"] == details()["district"]
    assert record["caf_reference"] == details()["caf_reference"]
    # declined: six years after the end of the financial year of its last change
    assert record["retention"]["rule"] == "declined=fy+6"
    year_end = date(date.today().year + (date.today().month > 3), 3, 31)
    assert record["retention"]["due_on"] == year_end.replace(year=year_end.year + 6).isoformat()
    placed = api.client.post(
        f"/privacy/cases/{declined}/legal-hold",
        json={"reason": "a claim", "until": "2040-01-01"},
        headers=dpo(),
    )
    assert placed.json()["retention"]["rule"] == "declined=fy+6"  # the answer says it too
    open_case = _case(api, consent={**CONSENT_GIVEN})  # accepted: open, no period yet
    assert api.client.get(f"/privacy/cases/{open_case}", headers=dpo()).json()["retention"] is None
