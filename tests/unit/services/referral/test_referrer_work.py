"""What the referrer's work tray reads of the referral list: the referrals in given states,
since when each stands so, and those whose state changed or that ended lately, with how
they ended (closed at a panel, taken on by children's social care) and why."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts.reference import Role
from services.referral.adapters import read_model
from services.referral.domain.notes import CaseNote
from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api, closed_at_panel

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "youth-service"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form at school",
}


def _refer(api: Api, **more: Any) -> str:
    r = api.client.post("/referrals", json=details(**more), headers=auth())
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


def _listed(api: Api, **params: Any) -> list[dict[str, Any]]:
    api.projector.catch_up()
    r = api.client.get("/referrals", params=params, headers=auth())
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    return rows


def test_the_list_gives_the_referrals_in_the_states_asked_for_and_since_when(api: Api) -> None:
    waiting = _refer(api, caf_reference="CAF-2026-000201")
    accepted = _refer(api, caf_reference="CAF-2026-000202", consent=CONSENT)
    declined = _refer(api, caf_reference="CAF-2026-000203", agencies_requested=["camhs"])
    rows = _listed(api, status="pending-consent")
    assert [r["case_id"] for r in rows] == [waiting]
    assert rows[0]["status_since"] and rows[0]["ended"] is None
    both = _listed(api, status=["pending-consent", "declined"])
    assert {r["case_id"] for r in both} == {waiting, declined}
    assert {r["case_id"] for r in _listed(api)} == {waiting, accepted, declined}
    # consent recorded: no longer waiting, and it stands accepted since then
    api.client.post(f"/referrals/{waiting}/consent", json=CONSENT, headers=auth())
    assert _listed(api, status="pending-consent") == []
    (now,) = [r for r in _listed(api) if r["case_id"] == waiting]
    assert now["status"] == "accepted" and now["status_since"] > rows[0]["status_since"]


def test_an_unknown_state_is_refused_naming_the_parameter(api: Api) -> None:
    r = api.client.get("/referrals", params={"status": "lost"}, headers=auth())
    assert r.status_code == 422 and "status" in r.text
    r = api.client.get("/referrals", params={"since": "yesterday"}, headers=auth())
    assert r.status_code == 422 and "since" in r.text


def test_a_case_closed_at_its_panel_is_listed_as_ended_with_the_panel_s_reason(api: Api) -> None:
    case_id = _refer(api, consent=CONSENT)
    old = _refer(api, caf_reference="CAF-2026-000204", agencies_requested=["camhs"])
    closed_at_panel(api.app, uuid.UUID(case_id), "needs met by the school", date.today())
    (row,) = [r for r in _listed(api) if r["case_id"] == case_id]
    assert row["ended"] == {
        "how": "closed-at-panel",
        "on": date.today().isoformat(),
        "reason": "needs met by the school",
    }
    # lately: what changed or ended from a day on; nothing changed tomorrow
    lately = _listed(api, since=date.today().isoformat())
    assert {r["case_id"] for r in lately} == {case_id, old}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert _listed(api, since=tomorrow) == []
    # a child's record says so too
    child = api.client.get(f"/referrals/{case_id}", headers=auth()).json()["child_id"]
    record = api.client.get(f"/children/{child}", headers=auth()).json()
    assert record["referrals"][0]["ended"]["how"] == "closed-at-panel"


def test_a_case_taken_on_by_social_care_is_listed_as_ended_without_its_words(api: Api) -> None:
    case_id = _refer(api, significant_harm_concern=True)
    front_door = auth(Role.FRONT_DOOR, "social-care", "front-door-1")
    r = api.client.post(
        f"/referrals/{case_id}/front-door",
        json={"answer": "accepted", "reason": "section 47 enquiry opened"},
        headers=front_door,
    )
    assert r.status_code == 200, r.text
    (row,) = _listed(api)
    assert row["status"] == "redirected-to-social-care"
    assert row["ended"]["how"] == "taken-on-by-social-care" and row["ended"]["reason"] is None
    assert "section 47" not in str(row)


def test_a_rebuilt_projection_meets_its_notes_again_without_failing(api: Api) -> None:
    note = CaseNote.write(uuid.uuid4(), "sealed", date(2026, 11, 20), None)
    (written,) = note.collect_events()
    engine = api.projector.engine
    with Session(engine) as session:
        read_model.project(written, session)
        read_model.project(written, session)
        session.commit()
        count = session.execute(select(func.count()).select_from(read_model.notes)).scalar()
    assert count == 1
