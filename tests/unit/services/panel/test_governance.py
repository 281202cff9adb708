"""A panel's governance: apologies for a meeting, its minutes (general and per agenda item),
declarations of interest in a case listed, made before the decision (a member who withdrew
counts toward no quorum for the case and may not record its decision), and the agenda
circulated to the panel's members before its cut-off (again only when it changed), through
the use cases over a real (SQLite) store and through the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.events.panel import AgendaCirculated
from contracts.reference import Agency, Position, Role
from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller, Forbidden
from services.panel.adapters import read_model
from services.panel.adapters.http import create_api
from services.panel.adapters.translate import CLASSES, translate
from services.panel.application.app import PanelApp
from services.panel.application.commands.circulate_agenda import CirculateAgenda
from services.panel.application.commands.declare_interest import DeclareInterest
from services.panel.application.commands.expect_attendee import ExpectAttendee
from services.panel.application.commands.record_minutes import MinuteItem, RecordMinutes
from services.panel.application.commands.schedule_meeting import ScheduleMeeting
from services.panel.application.commands.send_apologies import SendApologies
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.minutes import ItemMinutes, item_minutes_id
from services.panel.domain.rules import NotAMember, PanelRuleBroken
from services.panel.domain.schedule import PanelRef
from tests.support.identity import auth, verifier
from tests.support.sitting import sit
from tests.unit.services.panel import deliveries as use
from tests.unit.services.panel.test_case_flow import (
    ALL_DISTRICTS,
    ALL_TIERS,
    CHAIR,
    FRIDAY,
    QUORUM,
    attend,
    decide,
)

VOLUNTARY = Caller.of("panel-pvi", Role.PANEL_MEMBER, "pvi", ALL_DISTRICTS, ALL_TIERS)
EDUCATION = Caller.of("p2", Role.PANEL_MEMBER, "education", ALL_DISTRICTS, ALL_TIERS)
# a second chair of the MAAG, from education (one who withdrew cannot record the decision)
OTHER_CHAIR = Caller.of(
    "chair-2", [Role.PANEL_CHAIR, Role.PANEL_MEMBER], "education", ALL_DISTRICTS, ALL_TIERS
)


def _listed(app: PanelApp) -> tuple[uuid.UUID, Meeting]:
    """A Harlow case listed on its MAAG's next meeting."""
    case_id = uuid.uuid4()
    work = Work(app)
    use.referral_accepted(work, case_id, "harlow", 3, ["camhs", "housing"], FRIDAY)
    work.commit()
    return case_id, _meeting_of(app, case_id)


def _meeting_of(app: PanelApp, case_id: uuid.UUID) -> Meeting:
    case: Any = app.repository.get(case_id)
    (meeting_id,) = case.listings
    meeting: Meeting = _get(app, meeting_id, Meeting)
    return meeting


def _get(app: PanelApp, aggregate_id: uuid.UUID, kind: type[Any]) -> Any:
    found: Any = app.repository.get(aggregate_id)
    assert isinstance(found, kind)
    return found


def _quorate(app: PanelApp, meeting: Meeting) -> None:
    sit(app, meeting.id)
    for person, organisation, position in QUORUM[meeting.panel]:
        attend(app, meeting, person, f"Name {person}", organisation, position)


def _declare(
    app: PanelApp,
    meeting: Meeting,
    case_id: uuid.UUID,
    who: Caller = VOLUNTARY,
    interest: str = "our mentoring service is a likely provider of the package",
    withdraws: bool = True,
) -> PanelCase:
    case: PanelCase = app.handle(
        DeclareInterest(
            meeting_id=meeting.id,
            case_id=case_id,
            name=f"Name {who.user_id}",
            interest=interest,
            withdraws=withdraws,
            caller=who,
            correlation_id="corr-i",
        )
    )
    return case


def _assign(app: PanelApp, meeting: Meeting, case_id: uuid.UUID, chair: Caller = CHAIR) -> Any:
    body = {
        "kind": "assign-lead-professional",
        "case_id": str(case_id),
        "professional_id": "lead-education",
        "name": "Lead professional education",
        "agency": "education",
        "work_email": "lead-education@school.example",
    }
    return app.handle(decide(meeting.id, body, chair, "corr-d"))


# --- apologies ---


def test_a_member_sends_apologies_before_the_meeting_once_and_never_after_it(
    app: PanelApp,
) -> None:
    _, meeting = _listed(app)
    app.now = lambda: meeting.starts_at - timedelta(days=2)  # the agenda is out, days ahead
    apologise = SendApologies(
        meeting_id=meeting.id, name="Vera Voluntary", caller=VOLUNTARY, correlation_id="c"
    )
    app.handle(apologise)
    app.handle(apologise)  # sent again: recorded once
    found = _get(app, meeting.id, Meeting)
    assert list(found.apologies) == ["panel-pvi"] and found.apologies["panel-pvi"].agency == "pvi"
    events = [e for e in app.events.get(meeting.id) if isinstance(e, Meeting.ApologiesSent)]
    assert len(events) == 1 and not CLASSES.publishes(events[0])  # kept in the service
    app.now = lambda: meeting.ends_at(app.meeting_window) + timedelta(minutes=1)
    late = SendApologies(meeting_id=meeting.id, name="Ed", caller=EDUCATION, correlation_id="c")
    with pytest.raises(PanelRuleBroken, match=r"^meeting_id: the meeting's window closed"):
        app.handle(late)


def test_who_attended_sent_apologies_or_is_absent_is_each_their_own(app: PanelApp) -> None:
    _, meeting = _listed(app)
    sit(app, meeting.id)
    for person in ("p2", "panel-pvi", "p-housing"):
        app.handle(
            ExpectAttendee(
                meeting_id=meeting.id,
                person_id=person,
                name=f"Name {person}",
                agency=Agency.HOUSING if person == "p-housing" else Agency.EDUCATION,
                caller=CHAIR,
                correlation_id="c",
            )
        )
    attend(app, meeting, "p2", "Name p2", "education")
    app.handle(
        SendApologies(meeting_id=meeting.id, name="Vera", caller=VOLUNTARY, correlation_id="c")
    )
    found = _get(app, meeting.id, Meeting)
    assert set(found.attendance) == {"p2"} and set(found.apologies) == {"panel-pvi"}
    assert set(found.absent) == {"p-housing"}  # expected, and neither came nor apologised
    # someone who confirmed their attendance has come: no apologies from them
    with pytest.raises(PanelRuleBroken, match="you confirmed your attendance"):
        app.handle(
            SendApologies(meeting_id=meeting.id, name="Ed", caller=EDUCATION, correlation_id="c")
        )
    # only members of the panel's constitution send apologies (as they attend)
    outsider = Caller.of("h-1", Role.PANEL_MEMBER, "adult-transition", ALL_DISTRICTS, ALL_TIERS)
    with pytest.raises(NotAMember):
        app.handle(
            SendApologies(meeting_id=meeting.id, name="H", caller=outsider, correlation_id="c")
        )


# --- minutes ---


def test_the_chair_minutes_the_meeting_and_each_item_only_while_it_sits(app: PanelApp) -> None:
    case_id, meeting = _listed(app)
    general = RecordMinutes(
        meeting_id=meeting.id,
        discussion="Budget pressures in the West quadrant; two new members welcomed.",
        actions="Coordinator to circulate the capacity report",
        caller=CHAIR,
        correlation_id="c",
    )
    item = MinuteItem(
        meeting_id=meeting.id,
        case_id=case_id,
        discussion="School attendance has fallen; housing is at risk.",
        actions="Lead to convene a family meeting within two weeks",
        caller=CHAIR,
        correlation_id="c",
    )
    app.now = lambda: meeting.starts_at - timedelta(hours=1)
    for command in (general, item):
        with pytest.raises(PanelRuleBroken, match="minutes are recorded only from its start"):
            app.handle(command)
    sit(app, meeting.id)
    app.handle(general)
    app.handle(general)  # the same again: nothing more
    minuted: ItemMinutes = app.handle(item)
    assert minuted.id == item_minutes_id(meeting.id, case_id)
    found = _get(app, meeting.id, Meeting)
    assert found.minutes is not None and "two new members" in (found.minutes.discussion or "")
    recorded = [type(e).__name__ for e in app.events.get(meeting.id)]
    assert recorded == ["Scheduled", "CaseListed", "MinutesRecorded"]  # minuted once
    kept = _get(app, minuted.id, ItemMinutes)
    assert kept.minutes is not None and kept.minutes.actions == item.actions
    # a second version replaces the first (each is kept in the item's history)
    app.handle(MinuteItem(**{**vars(item), "discussion": "Attendance fell; tenancy at risk."}))
    assert _get(app, minuted.id, ItemMinutes).minutes.discussion.startswith("Attendance fell")
    app.now = lambda: meeting.ends_at(app.meeting_window) + timedelta(seconds=1)
    with pytest.raises(PanelRuleBroken, match="window closed"):
        app.handle(general)
    # a panel member who is not a chair does not minute the meeting
    sit(app, meeting.id)
    with pytest.raises(Forbidden):
        app.handle(RecordMinutes(**{**vars(general), "caller": EDUCATION}))


def test_an_item_s_minutes_are_of_a_case_listed_and_erased_with_its_personal_data(
    app: PanelApp,
) -> None:
    case_id, meeting = _listed(app)
    sit(app, meeting.id)
    elsewhere = uuid.uuid4()  # a case listed at another district's meeting
    work = Work(app)
    use.referral_accepted(work, elsewhere, "tendring", 3, ["camhs", "housing"], FRIDAY)
    work.commit()
    with pytest.raises(PanelRuleBroken, match=r"^case_id: the case is not on this meeting"):
        app.handle(
            MinuteItem(
                meeting_id=meeting.id,
                case_id=elsewhere,
                discussion="x",
                caller=CHAIR,
                correlation_id="c",
            )
        )
    minuted: ItemMinutes = app.handle(
        MinuteItem(
            meeting_id=meeting.id,
            case_id=case_id,
            discussion="The child's asthma keeps her from school.",
            caller=CHAIR,
            correlation_id="c",
        )
    )
    assert app.case_keys is not None
    assert app.case_keys.destroy(case_id) >= 1  # the case's key is the item minutes' too
    erased = _get(app, minuted.id, ItemMinutes)
    assert erased.minutes is not None and erased.minutes.discussion is None
    assert (erased.case_id, erased.meeting_id) == (case_id, meeting.id)  # the record stays


def test_the_chair_minutes_an_item_after_the_decision_moved_the_case_to_another_tier(
    app: PanelApp,
) -> None:
    case_id, meeting = _listed(app)
    _quorate(app, meeting)
    maag_chair = Caller.of(
        "chair-maag",
        [Role.PANEL_CHAIR, Role.PANEL_MEMBER],
        "social-care",
        ["harlow"],
        ["maag"],
    )
    app.handle(
        decide(
            meeting.id,
            {"kind": "escalate", "case_id": str(case_id), "to": "earp", "reason": "complex"},
            maag_chair,
            "c",
        )
    )
    # the case is the EARP's now; its discussion at this MAAG is still this MAAG's to minute
    app.handle(
        MinuteItem(
            meeting_id=meeting.id,
            case_id=case_id,
            discussion="Needs beyond the MAAG's threshold.",
            caller=maag_chair,
            correlation_id="c",
        )
    )


# --- declarations of interest ---


def test_an_interest_is_declared_before_the_decision_and_shows_on_it(app: PanelApp) -> None:
    case_id, meeting = _listed(app)
    app.now = lambda: meeting.starts_at - timedelta(days=1)  # before the meeting: allowed
    case = _declare(app, meeting, case_id)
    _declare(app, meeting, case_id)  # the same again: recorded once
    declared = case.declarations_at(meeting.id)["panel-pvi"]
    assert declared.withdraws and "likely provider" in declared.interest
    events = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.InterestDeclared)]
    assert len(events) == 1 and not CLASSES.publishes(events[0])
    _quorate(app, meeting)
    decided = _assign(app, meeting, case_id)
    assert decided.withdrawn_at(meeting.id) == frozenset({"panel-pvi"})
    # after the decision: refused, naming the field
    with pytest.raises(PanelRuleBroken, match=r"^interest: the panel has already decided"):
        _declare(app, meeting, case_id, who=EDUCATION)


def test_who_withdrew_counts_toward_no_quorum_for_the_case_nor_records_its_decision(
    app: PanelApp,
) -> None:
    case_id, meeting = _listed(app)
    _quorate(app, meeting)  # social care, education and CAMHS: two others besides, as needed
    _declare(app, meeting, case_id, who=EDUCATION, interest="I teach the child's brother")
    with pytest.raises(PanelRuleBroken, match=r"not quorate for this case without those who"):
        _assign(app, meeting, case_id)
    attend(app, meeting, "p5", "Name p5", "police")  # another agency comes: quorate again
    # the chair who withdrew from the decision does not record it
    attend(app, meeting, "chair-2", "Chair Two", "education")
    _declare(app, meeting, case_id, who=OTHER_CHAIR, interest="a relative works at the school")
    with pytest.raises(PanelRuleBroken, match=r"^case_id: you declared an interest"):
        _assign(app, meeting, case_id, chair=OTHER_CHAIR)
    assert _assign(app, meeting, case_id).lead is not None  # another chair does
    # one who declared and did not withdraw still counts
    second, _ = _listed(app)
    assert second in _get(app, meeting.id, Meeting).agenda
    _declare(app, meeting, second, who=EDUCATION, interest="I know the family", withdraws=False)
    assert _assign(app, meeting, second).lead is not None


def test_an_interest_is_declared_only_in_a_case_on_the_agenda_by_a_member(
    app: PanelApp,
) -> None:
    case_id, meeting = _listed(app)
    sit(app, meeting.id)
    work = Work(app)
    stranger = uuid.uuid4()
    use.referral_accepted(work, stranger, "tendring", 3, ["camhs", "housing"], FRIDAY)
    work.commit()
    with pytest.raises(PanelRuleBroken, match=r"^case_id: the case is not on this meeting"):
        _declare(app, meeting, stranger)
    outsider = Caller.of(
        "h-1",
        Role.PANEL_MEMBER,
        "adult-transition",
        ALL_DISTRICTS,
        ALL_TIERS,
        Position.HEAD_OF_SERVICE,
    )
    with pytest.raises(NotAMember):
        _declare(app, meeting, case_id, who=outsider)
    elsewhere = Caller.of("t-1", Role.PANEL_MEMBER, "pvi", ["tendring"], ["maag"])
    with pytest.raises(Forbidden):
        _declare(app, meeting, case_id, who=elsewhere)
    app.now = lambda: meeting.ends_at(app.meeting_window) + timedelta(minutes=1)
    with pytest.raises(PanelRuleBroken, match="window closed"):
        _declare(app, meeting, case_id)


# --- the agenda circulated to the panel's members ---

COORDINATOR = Caller.of("coordinator-1", Role.PANEL_MEMBER, "social-care", ALL_DISTRICTS, ALL_TIERS)


def _circulate(app: PanelApp, meeting: Meeting, who: Caller = CHAIR) -> Meeting:
    circulated: Meeting = app.handle(
        CirculateAgenda(meeting_id=meeting.id, caller=who, correlation_id="corr-circ")
    )
    return circulated


def _circulations(app: PanelApp, meeting: Meeting) -> list[Meeting.AgendaCirculated]:
    return [e for e in app.events.get(meeting.id) if isinstance(e, Meeting.AgendaCirculated)]


def test_the_agenda_is_circulated_before_its_cut_off_and_again_only_once_it_changed(
    app: PanelApp,
) -> None:
    case_id, meeting = _listed(app)
    app.now = lambda: meeting.starts_at - timedelta(days=3)
    circulated = _circulate(app, meeting)
    assert circulated.circulated is not None and circulated.circulated.number == 1
    (first,) = _circulations(app, meeting)
    assert (first.cases, first.number) == (1, 1)
    assert str(case_id) not in str(vars(first))  # how many, never which (a case's timeline
    # follows its meetings: it must not name the others)
    # published on the panel's topic, keyed by the meeting, naming no case: only how many
    out = translate(first)
    assert out is not None and CLASSES.publishes(first)
    assert out.event.model_dump(mode="json", exclude={"actor", "occurred_at"}) == {
        "case_id": str(meeting.id),
        "meeting_id": str(meeting.id),
        "panel": "maag",
        "district": "harlow",
        "starts_at": meeting.starts_at.isoformat().replace("+00:00", "Z"),
        "cases_listed": 1,
        "circulation": 1,
    }
    assert out.event.actor.user_id == "chair-1" and out.correlation_id == "corr-circ"
    # nothing changed: nothing sent again, naming the field
    with pytest.raises(PanelRuleBroken, match=r"^meeting_id: the agenda was circulated at .* no "
                       r"case has been listed or taken off since"):  # fmt: skip
        _circulate(app, meeting, COORDINATOR)
    # a second case listed: the coordinator circulates the revised agenda
    second, _ = _listed(app)
    again = _circulate(app, meeting, COORDINATOR)
    assert again.circulated is not None and again.circulated.cases == 2
    assert second in again.agenda
    revised = _circulations(app, meeting)[-1]
    published = translate(revised)
    assert published is not None and isinstance(published.event, AgendaCirculated)
    assert (published.event.circulation, published.event.cases_listed) == (2, 2)
    # from the cut-off, a day before the meeting: refused, naming the field
    app.now = lambda: meeting.agenda_closes_at
    _listed(app)  # a third case listed: too late to circulate now
    with pytest.raises(
        PanelRuleBroken, match=r"^meeting_id: the agenda closed at 2026-11-30 10:00"
    ):
        _circulate(app, meeting)
    assert len(_circulations(app, meeting)) == 2


def test_a_case_taken_off_the_agenda_after_it_was_circulated_lets_it_go_again(
    app: PanelApp,
) -> None:
    case_id, meeting = _listed(app)
    app.now = lambda: meeting.starts_at - timedelta(days=2)
    _circulate(app, meeting)
    work = Work(app)
    use.consent_withdrawn(work, case_id, False)  # the case leaves every agenda
    work.commit()
    found = _get(app, meeting.id, Meeting)
    assert not found.agenda and found.circulated is not None and found.circulated.changed
    again = _circulate(app, found, COORDINATOR)  # the members are told: nothing to decide now
    circulated = again.circulated
    assert circulated is not None and (circulated.number, circulated.cases) == (2, 0)
    assert not circulated.changed


def test_an_agenda_with_no_case_listed_is_not_circulated(app: PanelApp) -> None:
    _, listed = _listed(app)
    app.now = lambda: listed.starts_at - timedelta(days=14)
    ref = PanelRef(listed.panel, listed.district)
    empty: Meeting = app.handle(
        ScheduleMeeting(
            ref=ref, starts_at=listed.starts_at + timedelta(weeks=1), caller=CHAIR,
            correlation_id="c",
        )
    )  # fmt: skip
    with pytest.raises(PanelRuleBroken, match=r"^meeting_id: no case is listed on this meeting"):
        _circulate(app, empty)


def test_only_those_who_sit_on_the_panel_circulate_its_agenda(app: PanelApp) -> None:
    _, meeting = _listed(app)
    app.now = lambda: meeting.starts_at - timedelta(days=2)
    lead = Caller.of("lead-education", Role.LEAD_PROFESSIONAL, "education")
    auditor = Caller.of("auditor-1", Role.AUDITOR, "county-audit")
    elsewhere = Caller.of("t-1", Role.PANEL_MEMBER, "pvi", ["tendring"], ["maag"])
    county = Caller.of("scf-1", Role.PANEL_MEMBER, "childrens-services", ALL_DISTRICTS, ["earp"])
    for who in (lead, auditor, elsewhere, county):
        with pytest.raises(Forbidden):
            _circulate(app, meeting, who)
    # seated county-wide, but of an agency the MAAG's constitution does not seat
    outsider = Caller.of(
        "h-1",
        Role.PANEL_MEMBER,
        "adult-transition",
        ALL_DISTRICTS,
        ALL_TIERS,
        Position.HEAD_OF_SERVICE,
    )
    with pytest.raises(NotAMember):
        _circulate(app, meeting, outsider)
    assert _circulations(app, meeting) == []
    _circulate(app, meeting, VOLUNTARY)  # any member who sits on it: its coordinator among them
    assert len(_circulations(app, meeting)) == 1


# --- through the HTTP API ---


@pytest.fixture
def client(settings: Settings, app: PanelApp) -> Any:
    engine = read_model_engine(settings, "panel")
    projector = Projector(app, engine, read_model.metadata, read_model.project, "panel_agenda")
    api = create_api(app, verifier(), engine, lambda: {"store": True, "broker": True})
    c = TestClient(api, raise_server_exceptions=False)
    c.projector = projector
    return c


def _chair() -> dict[str, str]:
    return auth([Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care", "chair-1")


def test_the_meeting_s_agenda_shows_apologies_minutes_and_declarations(
    client: Any, app: PanelApp
) -> None:
    case_id, meeting = _listed(app)
    sit(app, meeting.id)
    url = f"/meetings/{meeting.id}"
    voluntary = {**auth(Role.PANEL_MEMBER, "pvi", "panel-pvi"), "Idempotency-Key": "k-decl-1"}
    declaration = {
        "case_id": str(case_id),
        "name": "Vera Voluntary",
        "interest": "our service may be commissioned for this family",
        "withdraws": True,
    }
    r = client.post(f"{url}/declarations", headers=voluntary, json=declaration)
    assert r.status_code == 200, r.text
    assert r.json() == [
        {
            "person_id": "panel-pvi",
            "name": "Vera Voluntary",
            "agency": "pvi",
            "interest": "our service may be commissioned for this family",
            "withdraws": True,
        }
    ]
    again = client.post(f"{url}/declarations", headers=voluntary, json=declaration)
    assert again.status_code == 200  # the same key again: recorded once
    said = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.InterestDeclared)]
    assert len(said) == 1
    blank = client.post(
        f"{url}/declarations",
        headers=auth(Role.PANEL_MEMBER, "pvi", "panel-pvi"),
        json={**declaration, "interest": "   "},
    )
    assert blank.status_code == 422
    assert [e["field"] for e in blank.json()["errors"]] == ["body.interest"]
    minutes = client.post(
        f"{url}/minutes",
        headers=_chair(),
        json={"case_id": str(case_id), "discussion": "Housing is at risk.", "actions": "Call"},
    )
    assert minutes.status_code == 200, minutes.text
    assert minutes.json()["discussion"] == "Housing is at risk."
    general = client.post(f"{url}/minutes", headers=_chair(), json={"discussion": "Welcome"})
    assert general.status_code == 200 and general.json()["actions"] == ""
    not_chair = client.post(
        f"{url}/minutes", headers=auth(Role.PANEL_MEMBER, "police"), json={"discussion": "x"}
    )
    assert not_chair.status_code == 403
    apologies = client.post(
        f"{url}/apologies", headers=auth(Role.PANEL_MEMBER, "housing", "p-h"), json={"name": "H"}
    )
    assert apologies.status_code == 200, apologies.text
    assert apologies.json()["apologies"] == [{"person_id": "p-h", "name": "H", "agency": "housing"}]
    client.projector.catch_up()
    body = client.get(f"{url}/agenda", headers=_chair()).json()
    assert body["minutes"]["discussion"] == "Welcome"
    (item,) = body["agenda"]
    assert item["declarations"][0]["name"] == "Vera Voluntary"
    assert item["minutes"]["actions"] == "Call" and item["quorate"] is False
    # the auditor reads the meeting, not the item's minutes (written about a child)
    audited = client.get(f"{url}/agenda", headers=auth(Role.AUDITOR, "county-audit")).json()
    assert audited["agenda"][0]["minutes"] is None
    assert audited["agenda"][0]["declarations"][0]["withdraws"] is True


def test_the_agenda_is_circulated_through_the_api_once_per_request_and_shown_on_it(
    client: Any, app: PanelApp
) -> None:
    _, meeting = _listed(app)
    app.now = lambda: meeting.starts_at - timedelta(days=2)
    url = f"/meetings/{meeting.id}"
    keyed = {**_chair(), "Idempotency-Key": "k-circulate-1"}
    r = client.post(f"{url}/circulation", headers=keyed)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["circulated"]["number"] == 1 and body["circulated"]["cases_listed"] == 1
    assert body["circulated"]["changed_since"] is False
    closes = body["agenda_closes_at"].replace("Z", "+00:00")
    assert datetime.fromisoformat(closes) == meeting.starts_at - timedelta(days=1)
    assert client.post(f"{url}/circulation", headers=keyed).status_code == 200  # sent twice
    assert len(_circulations(app, meeting)) == 1  # recorded once
    unchanged = client.post(f"{url}/circulation", headers=_chair())
    assert unchanged.status_code == 409
    assert unchanged.json()["detail"].startswith("meeting_id: the agenda was circulated at ")
    _listed(app)  # another case listed since
    client.projector.catch_up()
    shown = client.get(f"{url}/agenda", headers=auth(Role.AUDITOR, "county-audit")).json()
    assert shown["circulated"]["changed_since"] is True and len(shown["agenda"]) == 2
    lead = client.post(f"{url}/circulation", headers=auth(Role.LEAD_PROFESSIONAL, "education"))
    assert lead.status_code == 403
    app.now = lambda: meeting.starts_at - timedelta(hours=23)
    late = client.post(f"{url}/circulation", headers=_chair())
    assert late.status_code == 409 and late.json()["detail"].startswith("meeting_id: the agenda ")
    assert "closed at" in late.json()["detail"]


def test_a_decision_s_answer_shows_the_declarations_on_its_item(client: Any, app: PanelApp) -> None:
    case_id, meeting = _listed(app)
    _quorate(app, meeting)
    _declare(app, meeting, case_id, interest="we run the youth club she attends", withdraws=False)
    r = client.post(
        f"/meetings/{meeting.id}/decisions",
        headers=_chair(),
        json={"kind": "defer", "case_id": str(case_id), "reason": "more information"},
    )
    assert r.status_code == 200, r.text
    (declared,) = r.json()["declarations"]
    assert declared["interest"] == "we run the youth club she attends"
    late = client.post(
        f"/meetings/{meeting.id}/declarations",
        headers=auth(Role.PANEL_MEMBER, "education", "p2"),
        json={"case_id": str(case_id), "name": "E", "interest": "x", "withdraws": False},
    )
    assert late.status_code == 409 and late.json()["detail"].startswith("interest: ")
