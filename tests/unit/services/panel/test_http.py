"""The panel HTTP API: agendas, attendance, decisions, and its 4xx answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.reference import Role
from maag.runtime import causation
from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from services.panel.adapters import read_model
from services.panel.adapters.http import create_api
from services.panel.application.app import PanelApp
from services.panel.domain.schedule import LOCAL
from tests.support.identity import auth, verifier
from tests.support.sitting import sit
from tests.unit.services.panel import deliveries as use


def chair() -> dict[str, str]:
    return auth([Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care", "chair-1")


def _quorate(client: Any, meeting_id: Any) -> None:
    sit(client.app.state.panel, meeting_id)
    for agency in ("social-care", "education", "camhs"):  # each attendee signs in as themselves
        r = client.post(
            f"/meetings/{meeting_id}/attendance",
            headers=auth(Role.PANEL_MEMBER, agency),
            json={"name": f"Member {agency}"},
        )
        assert r.status_code == 200, r.text


def coordinator() -> dict[str, str]:
    return auth(Role.PANEL_MEMBER, "social-care", "coord-1")


@pytest.fixture
def client(settings: Settings, app: PanelApp) -> Any:
    engine = read_model_engine(settings, "panel")
    projector = Projector(app, engine, read_model.metadata, read_model.project, "panel_agenda")
    api = create_api(app, verifier(), engine, lambda: {"store": True, "broker": True})
    c = TestClient(api, raise_server_exceptions=False)
    c.projector = projector
    return c


def _listed_case(app: PanelApp) -> tuple[uuid.UUID, uuid.UUID]:
    case_id = uuid.uuid4()
    work = Work(app)
    use.referral_accepted(
        work,
        case_id,
        "tendring",
        2,
        ["camhs", "police"],
        datetime(2026, 11, 27, tzinfo=LOCAL),
    )
    work.commit()
    case: Any = app.repository.get(case_id)
    (meeting_id,) = case.listings
    return case_id, meeting_id


def test_the_agenda_lists_the_case_and_says_what_quorum_lacks(client: Any, app: PanelApp) -> None:
    case_id, meeting_id = _listed_case(app)
    client.projector.catch_up()
    r = client.get(f"/meetings/{meeting_id}/agenda", headers=coordinator())
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["case_id"] for i in body["agenda"]] == [str(case_id)]
    assert body["district"] == "tendring" and body["quorate"] is False
    assert body["missing_for_quorum"] == [
        "children's social care",
        "2 more agencies besides social care (0 of 2 present)",
    ]


def test_a_decision_in_a_meeting_that_is_not_quorate_is_409_with_who_is_missing(
    client: Any, app: PanelApp
) -> None:
    case_id, meeting_id = _listed_case(app)
    sit(app, meeting_id)
    client.post(
        f"/meetings/{meeting_id}/attendance",
        headers=auth(Role.PANEL_MEMBER, "social-care"),
        json={"name": "S W"},
    )
    r = client.post(
        f"/meetings/{meeting_id}/decisions",
        headers=chair(),
        json={"kind": "close", "case_id": str(case_id), "reason": "resolved"},
    )
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "the meeting is not quorate, so it cannot decide: missing 2 more agencies besides social care (0 of 2 present)"
    )


def test_a_quorate_decision_is_recorded_and_shows_on_the_agenda(client: Any, app: PanelApp) -> None:
    case_id, meeting_id = _listed_case(app)
    _quorate(client, meeting_id)
    r = client.post(
        f"/meetings/{meeting_id}/decisions",
        headers=chair(),
        json={
            "kind": "assign-lead-professional",
            "case_id": str(case_id),
            "professional_id": "lp",
            "name": "Lee Lead",
            "agency": "education",
            "work_email": "lee@school.example",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["lead_professional"]["work_email"] == "lee@school.example"
    client.projector.catch_up()
    item = client.get(f"/meetings/{meeting_id}/agenda", headers=coordinator()).json()["agenda"][0]
    assert (item["status"], item["decisions"]) == ("decided", "lead professional assigned")
    case = client.get(f"/cases/{case_id}", headers=coordinator()).json()
    assert case["lead_professional"]["name"] == "Lee Lead" and case["status"] == "active"
    history = client.get(
        f"/cases/{case_id}/history", headers=auth(Role.AUDITOR, "county-audit")
    ).json()
    assert [h["event"] for h in history] == ["Opened", "Listed", "LeadProfessionalAssigned"]


LINE = {
    "service": "therapy",
    "hours_per_week": 2,
    "starts_on": "2027-01-04",
    "review_interval_weeks": 12,
    "estimated_weekly_cost_pence": 18000,
}


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"kind": "adjourn"}, "body", "Input tag 'adjourn' found using 'kind' does not match"),
        ({"kind": "escalate", "to": "maag", "reason": "x"}, "body.escalate.to", "Input should be"),
        (
            {
                "kind": "assign-lead-professional",
                "professional_id": "p",
                "name": "n",
                "agency": "education",
                "work_email": "not-an-email",
            },
            "body.assign-lead-professional.work_email",
            "value is not a valid email address",
        ),
        (
            {"kind": "request-package", "interventions": []},
            "body.request-package.interventions",
            "List should have at least 1 item",
        ),
        (
            {"kind": "request-package", "interventions": [LINE], "alternative_to": ["prison"]},
            "body.request-package.alternative_to.0",
            "Input should be 'accommodation', 'school-exclusion'",
        ),
        (
            {
                "kind": "request-package",
                "interventions": [LINE],
                "alternative_to": ["hospital", "hospital"],
            },
            "body.request-package",
            "alternative_to: each outcome appears once",
        ),
        (
            {
                "kind": "request-package",
                "interventions": [LINE],
                "funding_split": [{"agency": "pct", "percent": 0}],
            },
            "body.request-package.funding_split.0.percent",
            "greater than or equal to 1",
        ),
    ],
)
def test_an_invalid_decision_names_the_field(
    client: Any, app: PanelApp, body: dict[str, Any], field: str, reason: str
) -> None:
    case_id, meeting_id = _listed_case(app)
    r = client.post(
        f"/meetings/{meeting_id}/decisions",
        headers=chair(),
        json={"case_id": str(case_id), **body},
    )
    assert r.status_code == 422
    assert any(e["field"] == field and reason in e["reason"] for e in r.json()["errors"]), r.json()


def test_schedule_validates_district_against_panel(client: Any) -> None:
    r = client.post(
        "/meetings",
        headers=coordinator(),
        json={"panel": "maag", "starts_at": "2026-12-01T10:00:00+00:00"},
    )
    assert r.status_code == 422
    assert "district is required for a MAAG" in r.json()["detail"]
    ok = client.post(
        "/meetings",
        headers=coordinator(),
        json={"panel": "jap", "starts_at": "2027-01-07T10:00:00+00:00"},
    )
    assert ok.status_code == 201 and ok.json()["panel"] == "jap"


def test_roles_and_unknown_things(client: Any, app: PanelApp) -> None:
    _, meeting_id = _listed_case(app)
    r = client.post(
        f"/meetings/{meeting_id}/attendance",
        headers=auth(Role.REFERRER, "education"),
        json={"name": "x"},
    )
    assert (r.status_code, r.json()["detail"]) == (
        403,
        "forbidden: role 'referrer' may not attend its meetings (allowed: panel-member, panel-chair)",
    )
    missing = uuid.uuid4()
    assert (
        client.get(f"/meetings/{missing}/agenda", headers=coordinator()).json()["detail"]
        == f"no meeting {missing}"
    )
    assert client.get(f"/cases/{missing}/history", headers=coordinator()).status_code == 404
    assert client.get("/meetings", headers={}).status_code == 401


def test_attendance_is_the_callers_own_and_cannot_name_someone_else(
    client: Any, app: PanelApp
) -> None:
    _, meeting_id = _listed_case(app)
    sit(app, meeting_id)
    r = client.post(
        f"/meetings/{meeting_id}/attendance",
        headers=coordinator(),
        json={"person_id": "someone-else", "name": "x", "agency": "police"},
    )
    assert r.status_code == 422
    r = client.post(
        f"/meetings/{meeting_id}/attendance", headers=coordinator(), json={"name": "Coord"}
    )
    assert r.status_code == 200
    assert r.json()["attendance"] == [
        {
            "person_id": "coord-1",
            "name": "Coord",
            "agency": "social-care",
            "position": "practitioner",
        }
    ]


def test_a_panel_member_acts_only_for_the_panels_their_token_names(
    client: Any, app: PanelApp
) -> None:
    case_id, meeting_id = _listed_case(app)  # on the Tendring MAAG
    elsewhere = auth(Role.PANEL_MEMBER, "police", districts=["harlow"], tiers=["maag"])
    r = client.post(f"/meetings/{meeting_id}/attendance", headers=elsewhere, json={"name": "x"})
    assert (r.status_code, r.json()["detail"]) == (
        403,
        "forbidden: you do not sit on the maag:tendring panel, so may not attend its meetings",
    )
    assert client.get(f"/meetings/{meeting_id}/agenda", headers=elsewhere).status_code == 403
    # another district's case: existence is need-to-know
    assert client.get(f"/cases/{case_id}", headers=elsewhere).status_code == 404
    listed = client.get("/meetings", headers=elsewhere, params={"district": "tendring"})
    assert listed.json() == []
    earp_only = auth(Role.PANEL_MEMBER, "police", districts=["tendring"], tiers=["earp"])
    r = client.post(f"/meetings/{meeting_id}/attendance", headers=earp_only, json={"name": "x"})
    assert r.status_code == 403


def test_only_the_chair_records_a_decision_and_is_recorded_as_its_actor(
    client: Any, app: PanelApp
) -> None:
    case_id, meeting_id = _listed_case(app)
    _quorate(client, meeting_id)
    body = {"kind": "close", "case_id": str(case_id), "reason": "resolved"}
    r = client.post(f"/meetings/{meeting_id}/decisions", headers=coordinator(), json=body)
    assert (r.status_code, r.json()["detail"]) == (
        403,
        "forbidden: role 'panel-member' may not record panel decisions (allowed: panel-chair)",
    )
    assert client.post(f"/meetings/{meeting_id}/decisions", headers=chair(), json=body).is_success
    (closed,) = [e for e in app.events.get(case_id) if type(e).__name__ == "Closed"]
    assert causation.actor_of(closed) == {
        "user_id": "chair-1",
        "role": "panel-chair",
        "agency": "social-care",
    }


def test_a_coordinator_lists_who_is_expected_but_only_attendees_make_a_quorum(
    client: Any, app: PanelApp
) -> None:
    case_id, meeting_id = _listed_case(app)
    sit(app, meeting_id)
    for agency in ("social-care", "education", "camhs"):
        r = client.post(
            f"/meetings/{meeting_id}/expected-attendees",
            headers=coordinator(),
            json={"person_id": f"p-{agency}", "name": f"P {agency}", "agency": agency},
        )
        assert r.status_code == 200, r.text
    assert [e["agency"] for e in r.json()["expected"]] == ["social-care", "education", "camhs"]
    assert r.json()["quorate"] is False and r.json()["attendance"] == []
    body = {"kind": "close", "case_id": str(case_id), "reason": "resolved"}
    refused = client.post(f"/meetings/{meeting_id}/decisions", headers=chair(), json=body)
    assert refused.status_code == 409 and "not quorate" in refused.json()["detail"]
    _quorate(client, meeting_id)  # each attendee confirms with their own sign-in
    assert client.post(f"/meetings/{meeting_id}/decisions", headers=chair(), json=body).is_success


def _earp_case(client: Any, app: PanelApp) -> tuple[uuid.UUID, Any]:
    """A case escalated by its quorate MAAG to the next EARP."""
    case_id, meeting_id = _listed_case(app)
    _quorate(client, meeting_id)
    body = {
        "kind": "escalate",
        "case_id": str(case_id),
        "to": "earp",
        "reason": "needs county resources",
        "justification": "risk rising",
    }
    r = client.post(f"/meetings/{meeting_id}/decisions", headers=chair(), json=body)
    assert r.status_code == 200, r.text
    return case_id, r.json()["listed_on"][-1]


def _scf(position: str, roles: Any = Role.PANEL_MEMBER, user: str | None = None) -> Any:
    return auth(roles, "childrens-services", user, position=position)


def test_an_earp_constituted_as_the_county_describes_decides(client: Any, app: PanelApp) -> None:
    case_id, earp = _earp_case(client, app)
    sit(app, earp)
    for position in ("commissioner", "head-of-service"):
        r = client.post(
            f"/meetings/{earp}/attendance", headers=_scf(position), json={"name": position}
        )
        assert r.status_code == 200, r.text
    assert r.json()["quorate"] is True
    scf_chair = _scf("head-of-service", [Role.PANEL_CHAIR, Role.PANEL_MEMBER], "scf-chair-1")
    body = {"kind": "close", "case_id": str(case_id), "reason": "resolved"}
    assert client.post(f"/meetings/{earp}/decisions", headers=scf_chair, json=body).is_success


def test_an_earp_refuses_members_it_does_not_have_and_says_who_is_missing(
    client: Any, app: PanelApp
) -> None:
    case_id, earp = _earp_case(client, app)
    sit(app, earp)
    r = client.post(
        f"/meetings/{earp}/attendance",
        headers=auth(Role.PANEL_MEMBER, "police"),
        json={"name": "PC"},
    )
    assert (r.status_code, r.json()["detail"]) == (
        403,
        "a practitioner of police does not sit on the EARP "
        "(its members: SCF commissioners and heads of service)",
    )
    r = client.post(
        f"/meetings/{earp}/attendance", headers=_scf("commissioner"), json={"name": "C"}
    )
    assert r.json()["missing_for_quorum"] == ["an SCF head of service"]
    body = {"kind": "close", "case_id": str(case_id), "reason": "resolved"}
    refused = client.post(f"/meetings/{earp}/decisions", headers=chair(), json=body)
    # the MAAG's chair (a social care practitioner) may not chair the EARP
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "the chair must be a member of the EARP (SCF commissioners and heads of service)",
    )


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_a_meeting_at_the_edge_of_the_calendar_is_422_not_500(client: Any, when: str) -> None:
    r = client.post("/meetings", headers=coordinator(), json={"panel": "jap", "starts_at": when})
    assert r.status_code == 422, r.text
    assert "a meeting starts from 2000 to 2099" in r.json()["detail"]


def test_a_lead_professional_lists_the_cases_they_lead_and_no_others(
    client: Any, app: PanelApp
) -> None:
    mine, meeting_id = _listed_case(app)
    theirs, other_meeting = _listed_case(app)
    for case_id, meeting, lead in ((mine, meeting_id, "lead-1"), (theirs, other_meeting, "lead-2")):
        _quorate(client, meeting)
        r = client.post(
            f"/meetings/{meeting}/decisions",
            headers=chair(),
            json={
                "kind": "assign-lead-professional",
                "case_id": str(case_id),
                "professional_id": lead,
                "name": "A Lead",
                "agency": "education",
                "work_email": f"{lead}@school.example",
            },
        )
        assert r.status_code == 200, r.text
    client.projector.catch_up()
    as_lead = auth(Role.LEAD_PROFESSIONAL, "education", "lead-1")
    rows = client.get("/my/cases", headers=as_lead).json()
    assert [(r["case_id"], r["status"]) for r in rows] == [(str(mine), "active")]
    assert client.get("/my/cases", headers=chair()).status_code == 403


def test_a_decision_sent_twice_with_one_key_is_recorded_once(client: Any, app: PanelApp) -> None:
    """A reload, a double click or a retry after a lost answer changes nothing the second time."""
    case_id, meeting_id = _listed_case(app)
    _quorate(client, meeting_id)
    decision = {"kind": "defer", "case_id": str(case_id), "reason": "the school's report is due"}
    key = {**chair(), "Idempotency-Key": "web-0123456789abcdef"}
    for _ in range(2):
        r = client.post(f"/meetings/{meeting_id}/decisions", headers=key, json=decision)
        assert r.status_code == 200, r.text
    deferred = [e for e in app.events.get(case_id) if type(e).__name__ == "Deferred"]
    assert len(deferred) == 1
    # another key is another request, recorded as such
    other = {**chair(), "Idempotency-Key": "web-fedcba9876543210"}
    r = client.post(f"/meetings/{meeting_id}/decisions", headers=other, json=decision)
    assert r.status_code == 200
    assert len([e for e in app.events.get(case_id) if type(e).__name__ == "Deferred"]) == 2


def test_the_meetings_list_keeps_the_weeks_held_meetings_with_their_cases(
    client: Any, app: PanelApp, settings: Settings
) -> None:
    from datetime import timedelta

    from contracts.reference import District, Panel
    from maag.runtime.web.auth import Caller
    from services.panel.adapters.read_model import Agendas
    from services.panel.application.queries.upcoming_meetings import upcoming_meetings

    _, meeting_id = _listed_case(app)
    client.projector.catch_up()
    meeting: Any = app.repository.get(meeting_id)
    agendas = Agendas(read_model_engine(settings, "panel"))
    member = Caller.of(
        "coord-1", Role.PANEL_MEMBER, "social-care", [District.TENDRING.value], [Panel.MAAG.value]
    )

    def listed(now: datetime) -> list[tuple[uuid.UUID, int]]:
        found = upcoming_meetings(agendas, member, None, None, now)
        return [(m.meeting_id, m.cases) for m in found if m.meeting_id == meeting_id]

    # during the meeting and the week after it: still listed, with its case
    assert listed(meeting.starts_at + timedelta(hours=1)) == [(meeting_id, 1)]
    assert listed(meeting.starts_at + timedelta(days=6)) == [(meeting_id, 1)]
    assert listed(meeting.starts_at + timedelta(days=8)) == []
    assert listed(meeting.starts_at - timedelta(days=1)) == [(meeting_id, 1)]


def test_a_case_referred_to_social_care_shows_so_and_further_decisions_are_409(
    client: Any, app: PanelApp
) -> None:
    case_id, meeting_id = _listed_case(app)
    _quorate(client, meeting_id)
    refer = {"kind": "refer-to-social-care", "case_id": str(case_id), "reason": "a disclosure"}
    r = client.post(f"/meetings/{meeting_id}/decisions", headers=chair(), json=refer)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["listed_on"]) == ("at-social-care", [])
    client.projector.catch_up()
    item = client.get(f"/meetings/{meeting_id}/agenda", headers=coordinator()).json()["agenda"][0]
    assert (item["status"], item["decisions"]) == ("decided", "referred to children's social care")
    case = client.get(f"/cases/{case_id}", headers=coordinator()).json()
    assert case["status"] == "at-social-care"

    r = client.post(
        f"/meetings/{meeting_id}/decisions",
        headers=chair(),
        json={"kind": "close", "case_id": str(case_id), "reason": "resolved"},
    )
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "the case is with children's social care's front door: no decisions until it answers"
    )
    blank = {**refer, "reason": ""}
    assert (
        client.post(f"/meetings/{meeting_id}/decisions", headers=chair(), json=blank).status_code
        == 422
    )


def test_a_case_is_listed_on_a_meeting_called_now_and_decided_there_in_its_window(
    client: Any, app: PanelApp
) -> None:
    case_id, programme = _listed_case(app)
    now = datetime(2026, 11, 27, 15, 0, tzinfo=LOCAL)
    app.now = lambda: now
    called = client.post(
        "/meetings",
        headers=coordinator(),
        json={"panel": "maag", "district": "tendring", "starts_at": now.isoformat()},
    )
    assert called.status_code == 201, called.text
    assert called.json()["ends_at"] == (now + app.meeting_window).astimezone(
        UTC
    ).isoformat().replace("+00:00", "Z")
    meeting_id = called.json()["meeting_id"]
    path = f"/meetings/{meeting_id}/agenda"
    missing = client.post(path, headers=coordinator(), json={"case_id": str(case_id)})
    assert missing.status_code == 422 and "reason" in missing.text
    other = auth(Role.PANEL_MEMBER, "education", "m-9", districts=["basildon"])
    hidden = client.post(path, headers=other, json={"case_id": str(case_id), "reason": "urgent"})
    assert hidden.status_code == 404, hidden.text  # not theirs to know of
    r = client.post(path, headers=coordinator(), json={"case_id": str(case_id), "reason": "urgent"})
    assert r.status_code == 200, r.text
    client.projector.catch_up()
    agenda = client.get(path, headers=coordinator()).json()["agenda"]
    assert [(i["case_id"], i["reason"]) for i in agenda] == [
        (str(case_id), "brought forward: urgent (listed for: new referral)")
    ]
    left = client.get(f"/meetings/{programme}/agenda", headers=coordinator()).json()["agenda"]
    assert [i["status"] for i in left] == ["removed"]
    _quorate(client, meeting_id)
    decided = client.post(
        f"/meetings/{meeting_id}/decisions",
        headers=chair(),
        json={"kind": "defer", "case_id": str(case_id), "reason": "more information"},
    )
    assert decided.status_code == 200, decided.text
    late = datetime(2026, 11, 28, 15, 1, tzinfo=LOCAL)
    app.now = lambda: late
    closed = client.post(
        f"/meetings/{meeting_id}/attendance",
        headers=auth(Role.PANEL_MEMBER, "housing"),
        json={"name": "Member housing"},
    )
    assert closed.status_code == 409
    assert closed.json()["detail"].startswith("meeting_id: the meeting's window closed at ")


def test_a_members_meetings_list_is_theirs_however_many_other_panels_meet(
    client: Any, app: PanelApp, settings: Settings
) -> None:
    from datetime import timedelta

    from contracts.reference import District, Panel
    from maag.runtime.web.auth import Caller
    from services.panel.adapters.read_model import Agendas
    from services.panel.application.commands.schedule_ahead import schedule_ahead
    from services.panel.application.queries.upcoming_meetings import upcoming_meetings

    _, meeting_id = _listed_case(app)  # Tendring's MAAG of 1 December
    meeting: Any = app.repository.get(meeting_id)
    # every panel's meetings for eight weeks: far more than one page of the list
    schedule_ahead(app, meeting.starts_at - timedelta(days=6), weeks=8)
    client.projector.catch_up()
    agendas = Agendas(read_model_engine(settings, "panel"))
    member = Caller.of(
        "coord-1", Role.PANEL_MEMBER, "social-care", [District.TENDRING.value], [Panel.MAAG.value]
    )
    found = upcoming_meetings(agendas, member, None, None, meeting.starts_at - timedelta(days=6))
    assert {m.district for m in found} == {District.TENDRING}
    assert len(found) >= 8  # its weekly meetings, none crowded out
    assert [(m.meeting_id, m.cases) for m in found if m.meeting_id == meeting_id] == [
        (meeting_id, 1)
    ]


def test_a_members_work_tray_says_what_waits_at_their_meetings_and_clears_when_done(
    client: Any, app: PanelApp
) -> None:
    from datetime import timedelta

    case_id, meeting_id = _listed_case(app)  # Tendring's MAAG, Tuesday 1 December 10:00
    client.projector.catch_up()
    meeting: Any = app.repository.get(meeting_id)
    member = auth(Role.PANEL_MEMBER, "social-care", "coord-1", districts=["tendring"])

    def work(at: datetime) -> list[dict[str, Any]]:
        app.now = lambda: at  # the API's clock is the machine's: the tray reads the app's
        client.projector.catch_up()
        r = client.get("/my/work", headers=member)
        assert r.status_code == 200, r.text
        return [i for i in r.json() if i["meeting_id"] == str(meeting_id)]

    before = meeting.starts_at - timedelta(days=2)
    (to_come,) = work(before)
    assert (to_come["kind"], to_come["to_decide"], to_come["overdue"]) == ("to-come", 1, False)
    sit(app, meeting_id)
    (sitting,) = work(meeting.starts_at + timedelta(minutes=5))
    assert (sitting["kind"], sitting["quorate"]) == ("sitting", False)
    assert sitting["missing_for_quorum"]
    _quorate(client, meeting_id)
    decided = client.post(
        f"/meetings/{meeting_id}/decisions",
        headers=chair(),
        json={"kind": "defer", "case_id": str(case_id), "reason": "more information"},
    )
    assert decided.status_code == 200, decided.text
    assert work(meeting.starts_at + timedelta(minutes=30)) == []  # quorate, nothing to decide
    other = auth(Role.PANEL_MEMBER, "social-care", "coord-2", districts=["basildon"])
    assert client.get("/my/work", headers=other).json() == []  # not their panel
    assert client.get("/my/work", headers=auth(Role.LEAD_PROFESSIONAL)).status_code == 403
