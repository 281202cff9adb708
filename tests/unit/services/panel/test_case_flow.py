"""Listing, decisions, escalation and step-down, deferral, consent withdrawal and reviews,
through the use cases over a real (SQLite) store."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from contracts.events.panel import CaseJoined
from contracts.reference import District, Panel, Position, Role
from maag.runtime import causation
from maag.runtime.messaging.outbox import outbound
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller, Forbidden
from maag.runtime.web.http import Asking
from services.panel.adapters.bodies import Decision
from services.panel.adapters.http import DECISIONS, command_for
from services.panel.adapters.read_model import Agendas
from services.panel.adapters.translate import CLASSES, translate
from services.panel.application.app import PanelApp
from services.panel.application.commands.confirm_attendance import ConfirmAttendance
from services.panel.application.commands.schedule_ahead import schedule_ahead
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.rules import PanelRuleBroken
from services.panel.domain.schedule import LOCAL
from tests.support.sitting import sit
from tests.unit.services.panel import deliveries as use

ALL_DISTRICTS = [d.value for d in District]
ALL_TIERS = [p.value for p in Panel]
CHAIR = Caller.of(
    "chair-1", [Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care", ALL_DISTRICTS, ALL_TIERS
)
# Who forms a quorum of each tier, and who chairs it (services/panel/domain/constitution.py).
QUORUM: dict[Panel, list[tuple[str, str, Position]]] = {
    Panel.MAAG: [
        ("p1", "social-care", Position.PRACTITIONER),
        ("p2", "education", Position.PRACTITIONER),
        ("p3", "camhs", Position.PRACTITIONER),
    ],
    Panel.EARP: [
        ("scf-c", "childrens-services", Position.COMMISSIONER),
        ("scf-h", "childrens-services", Position.HEAD_OF_SERVICE),
    ],
    Panel.JAP: [
        ("scf-h", "childrens-services", Position.HEAD_OF_SERVICE),
        ("pct-c", "pct", Position.COMMISSIONER),
        ("at-h", "adult-transition", Position.HEAD_OF_SERVICE),
    ],
}
CHAIRS = {
    Panel.MAAG: CHAIR,
    Panel.EARP: Caller.of(
        "scf-h",
        [Role.PANEL_CHAIR, Role.PANEL_MEMBER],
        "childrens-services",
        ALL_DISTRICTS,
        ALL_TIERS,
        Position.HEAD_OF_SERVICE,
    ),
}
CHAIRS[Panel.JAP] = CHAIRS[Panel.EARP]
FRIDAY = datetime(2026, 11, 27, 12, 0, tzinfo=LOCAL)
decision = TypeAdapter(Decision).validate_python


def _accept(app: PanelApp, level: int = 3, case_id: uuid.UUID | None = None) -> uuid.UUID:
    case_id = case_id or uuid.uuid4()
    work = Work(app)
    use.referral_accepted(work, case_id, "harlow", level, ["camhs", "housing"], FRIDAY)
    work.commit()
    return case_id


def _case(app: PanelApp, case_id: uuid.UUID) -> PanelCase:
    case: Any = app.repository.get(case_id)
    assert isinstance(case, PanelCase)
    return case


def _meeting(app: PanelApp, case_id: uuid.UUID) -> Meeting:
    (meeting_id,) = _case(app, case_id).listings
    meeting: Any = app.repository.get(meeting_id)
    assert isinstance(meeting, Meeting)
    return meeting


def _quorate(app: PanelApp, meeting: Meeting) -> None:
    """The members confirm as the meeting starts."""
    sit(app, meeting.id)
    for person, organisation, position in QUORUM[meeting.panel]:
        attend(app, meeting, person, f"Name {person}", organisation, position)


def attend(
    app: PanelApp,
    meeting: Meeting,
    person: str,
    name: str,
    organisation: str,
    position: Position = Position.PRACTITIONER,
) -> None:
    """`person` confirms their own attendance, signed in as themselves."""
    member = Caller.of(person, Role.PANEL_MEMBER, organisation, ALL_DISTRICTS, ALL_TIERS, position)
    app.handle(
        ConfirmAttendance(
            meeting_id=meeting.id,
            name=name,
            caller=member,
            correlation_id="corr-a",
        )
    )


def _assign_lead(
    app: PanelApp,
    meeting: Meeting,
    case_id: uuid.UUID,
    professional_id: str = "lp-1",
    name: str = "Lee Lead",
    work_email: str = "lee.lead@school.example",
) -> PanelCase:
    return _decide(
        app,
        meeting,
        kind="assign-lead-professional",
        case_id=str(case_id),
        professional_id=professional_id,
        name=name,
        agency="education",
        work_email=work_email,
    )


def decide(meeting_id: uuid.UUID, body: dict[str, Any], caller: Caller, correlation_id: str) -> Any:
    """The command a decision's body asks for, as the HTTP API makes it."""
    asked = Asking(caller=caller, correlation_id=correlation_id, idempotency_key=None)
    return command_for(DECISIONS, decision(body), asked, meeting_id=meeting_id)


def _decide(app: PanelApp, meeting: Meeting, **body: Any) -> PanelCase:
    case: PanelCase = app.handle(decide(meeting.id, body, CHAIRS[meeting.panel], "corr-d"))
    return case


def test_an_accepted_referral_is_listed_on_its_districts_next_maag_once(app: PanelApp) -> None:
    case_id = _accept(app)
    _accept(app, case_id=case_id)  # the same ReferralAccepted again
    meeting = _meeting(app, case_id)
    assert (meeting.panel, meeting.district.value if meeting.district else None) == (
        Panel.MAAG,
        "harlow",
    )
    assert meeting.starts_at.date() == date(2026, 12, 1)
    assert list(meeting.agenda) == [case_id]
    listed = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.Listed)]
    assert len(listed) == 1


def test_a_meeting_that_is_not_quorate_refuses_decisions_naming_who_is_missing(
    app: PanelApp,
) -> None:
    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    sit(app, meeting.id)
    attend(app, meeting, "p2", "Ed", "education")
    with pytest.raises(
        PanelRuleBroken, match=r"not quorate.*missing children's social care and 1 more agency"
    ):
        _decide(app, meeting, kind="close", case_id=str(case_id), reason="x")


def test_decisions_in_a_quorate_meeting_name_who_and_which_meeting(app: PanelApp) -> None:
    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    _assign_lead(app, meeting, case_id)
    _decide(
        app,
        meeting,
        kind="request-package",
        case_id=str(case_id),
        interventions=[_line("family support", 4, "2026-12-07", 24000)],
    )
    events = list(app.events.get(case_id))
    lead = next(e for e in events if isinstance(e, PanelCase.LeadProfessionalAssigned))
    assert lead.meeting_id == meeting.id
    # who decided, and in which request: metadata the runtime gave the event
    assert causation.actor_of(lead) == CHAIR.record
    assert causation.correlation_of(lead) == "corr-d"
    assert any(
        isinstance(e, PanelCase.PackageRequested) and e.meeting_id == meeting.id for e in events
    )


def test_outside_the_threshold_a_decision_needs_a_justification(app: PanelApp) -> None:
    case_id = _accept(app, level=4)
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    body = {
        "kind": "assign-lead-professional",
        "case_id": str(case_id),
        "professional_id": "lp",
        "name": "L",
        "agency": "camhs",
        "work_email": "l@camhs.example",
    }
    with pytest.raises(
        PanelRuleBroken, match=r"level of need 4 is outside the MAAG threshold \(2 to 3\)"
    ):
        _decide(app, meeting, **body)
    case = _decide(app, meeting, **body, justification="EARP has no capacity this month")
    assert case.lead is not None


def test_escalation_moves_the_case_to_the_next_earp_and_step_down_brings_it_back(
    app: PanelApp,
) -> None:
    case_id = _accept(app)
    maag = _meeting(app, case_id)
    _quorate(app, maag)
    case = _decide(
        app, maag, kind="escalate", case_id=str(case_id), to="earp", reason="needs therapy"
    )
    assert case.panel is Panel.EARP
    earp = _meeting(app, case_id)
    assert earp.panel is Panel.EARP and earp.starts_at > maag.starts_at
    with pytest.raises(PanelRuleBroken, match="held by EARP, not MAAG"):
        _decide(app, maag, kind="close", case_id=str(case_id), reason="x")
    _quorate(app, earp)
    case = _decide(app, earp, kind="step-down", case_id=str(case_id), to="maag", reason="stable")
    back = _meeting(app, case_id)
    assert case.panel is Panel.MAAG and back.panel is Panel.MAAG and back.starts_at > earp.starts_at


def test_a_deferred_case_is_listed_on_the_next_meeting_of_the_same_panel(app: PanelApp) -> None:
    case_id = _accept(app)
    first = _meeting(app, case_id)
    _quorate(app, first)
    _decide(app, first, kind="defer", case_id=str(case_id), reason="awaiting school report")
    second = _meeting(app, case_id)
    assert second.ref == first.ref and (second.starts_at - first.starts_at).days == 7


def test_consent_withdrawn_takes_the_case_off_every_agenda_and_pauses_it(app: PanelApp) -> None:
    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    _assign_lead(app, meeting, case_id, "lp-1", "Lee", "lee@school.example")
    work = Work(app)
    use.consent_withdrawn(work, case_id, False)
    work.commit()
    case = _case(app, case_id)
    assert case.status == "paused" and case.listings == {}
    meeting = app.repository.get(meeting.id)
    assert case_id not in meeting.agenda
    paused = next(e for e in app.events.get(case_id) if isinstance(e, PanelCase.Paused))
    assert paused.lead_email == "lee@school.example" and paused.removed_from == [meeting.id]
    with pytest.raises(PanelRuleBroken):
        _decide(app, meeting, kind="close", case_id=str(case_id), reason="x")
    _accept(app, case_id=case_id)  # consent given again: ReferralAccepted once more
    assert _case(app, case_id).status == "active" and _case(app, case_id).listings


def test_withdrawal_with_a_safeguarding_basis_changes_nothing(app: PanelApp) -> None:
    case_id = _accept(app)
    work = Work(app)
    use.consent_withdrawn(work, case_id, True)
    work.commit()
    assert _case(app, case_id).status == "active"


def test_a_commissioned_package_is_listed_for_review_when_it_falls_due(app: PanelApp) -> None:
    case_id = _accept(app)
    package_id = uuid.uuid4()
    work = Work(app)
    use.package_commissioned(work, case_id, package_id, Panel.MAAG, date(2027, 3, 1))
    work.commit()
    review = next(e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewListed))
    assert review.package_id == package_id
    assert datetime.fromisoformat(review.starts_at).date() == date(2027, 3, 2)  # the Tuesday after


def test_a_package_that_could_not_be_commissioned_is_relisted_once_with_the_reason(
    app: PanelApp,
) -> None:
    from services.panel.adapters.translate import translate

    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    _assign_lead(app, meeting, case_id)
    _decide(
        app,
        meeting,
        kind="request-package",
        case_id=str(case_id),
        interventions=[_line("equine therapy", 4, "2026-12-07", 24000)],
    )
    (requested,) = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.PackageRequested)]
    package_id = requested.package_id
    # Commissioning answers at once, before the agreeing meeting's own date has passed: the
    # case goes to the meeting after it, not back onto that one.
    failed_at = FRIDAY
    for _ in range(2):  # the failure arrives twice: one listing, one event
        work = Work(app)
        use.commissioning_failed(
            work, case_id, package_id, Panel.MAAG, "no-capacity", "none free", failed_at
        )
        work.commit()
    (listed,) = [
        e for e in app.events.get(case_id) if isinstance(e, PanelCase.CommissioningFailureListed)
    ]
    assert datetime.fromisoformat(listed.starts_at).date() == date(2026, 12, 8)  # next MAAG
    relisted: Any = app.repository.get(listed.meeting_id)
    assert relisted.agenda[case_id] == "package not commissioned: no-capacity"
    out = translate(listed)
    assert out is not None and type(out.event).__name__ == "CommissioningFailureListed"
    assert out.event.model_dump()["lead_professional_email"] == "lee.lead@school.example"


def test_only_panel_members_decide(app: PanelApp) -> None:
    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    with pytest.raises(Forbidden, match="role 'referrer' may not record panel decisions"):
        app.handle(
            decide(
                meeting.id,
                {"kind": "close", "case_id": str(case_id), "reason": "x"},
                Caller.of("r", Role.REFERRER, "education"),
                "c",
            )
        )


def test_schedule_ahead_makes_every_panels_meetings_once(app: PanelApp) -> None:
    made = schedule_ahead(app, FRIDAY, weeks=4)
    assert made == 12 * 4 + 4 + 1  # weekly district MAAGs and EARP, the monthly JAP
    assert schedule_ahead(app, FRIDAY, weeks=4) == 0


def test_every_event_of_a_case_and_its_meetings_translates_for_the_outbox(app: PanelApp) -> None:
    from services.panel.adapters.translate import translate

    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    _assign_lead(app, meeting, case_id, "lp", "L", "l@school.example")
    _decide(app, meeting, kind="escalate", case_id=str(case_id), to="earp", reason="therapy")
    work = Work(app)
    use.consent_withdrawn(work, case_id, False)
    work.commit()
    published = [
        type(out.event).__name__
        for n in app.notifications(0, 1000)
        if (out := outbound(CLASSES, translate, app.mapper.to_domain_event(n))) is not None
    ]
    assert published.count("PanelMeetingScheduled") == 2
    for name in ["CaseListed", "LeadProfessionalAssigned", "CaseEscalated", "CasePaused"]:
        assert name in published


def test_every_event_the_panel_records_is_published_by_its_translator_or_kept_inside() -> None:
    from services.panel.adapters.translate import INTERNAL, TRANSLATORS

    assert CLASSES.missing("services.panel") == []
    assert not set(TRANSLATORS) & set(INTERNAL)


def test_every_kind_of_decision_has_its_command_and_its_handler() -> None:
    from dataclasses import fields
    from typing import get_args

    from services.panel.application.commands import handlers

    kinds = set(get_args(get_args(Decision)[0]))
    assert kinds and set(DECISIONS) == kinds
    for body, command in DECISIONS.items():
        assert command in handlers.kinds, command
        # the body's fields pass across by name: the command has each, and needs no other
        given = set(body.model_fields) - {"kind"}
        own = {f.name for f in fields(command)} - {"caller", "correlation_id", "idempotency_key"}
        assert own == given | {"meeting_id"}, body


def test_a_reviews_change_in_need_updates_the_case_and_later_thresholds_use_it(
    app: PanelApp,
) -> None:
    case_id = _accept(app, level=3)  # within the MAAG's threshold (2 to 3)
    package_id = uuid.uuid4()
    for change in (+1, +2):  # 3 + 1 = 4, then held at the highest level
        work = Work(app)
        use.package_reviewed(work, case_id, package_id, change, None)
        work.commit()
    assert _case(app, case_id).level_of_need == 4
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    with pytest.raises(PanelRuleBroken, match="level of need 4 is outside the MAAG threshold"):
        _decide(
            app,
            meeting,
            kind="request-package",
            case_id=str(case_id),
            interventions=[_line("family support", 4, "2026-12-07", 24000)],
        )
    reassessed = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.NeedReassessed)]
    assert [(e.change, e.level_of_need) for e in reassessed] == [(1, 4)]


def test_each_review_that_continues_a_package_lists_the_next_one(app: PanelApp) -> None:
    case_id = _accept(app)
    package_id = uuid.uuid4()
    work = Work(app)
    use.package_commissioned(work, case_id, package_id, Panel.MAAG, date(2027, 3, 1))
    work.commit()
    for next_review in (date(2027, 5, 24), date(2027, 8, 16)):  # every 12 weeks
        work = Work(app)
        use.package_reviewed(work, case_id, package_id, 0, next_review)
        work.commit()
    # a recommission republishes the package at the review it had reached: not listed again
    work = Work(app)
    use.package_commissioned(work, case_id, package_id, Panel.MAAG, date(2027, 5, 24))
    work.commit()
    listed = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewListed)]
    assert [(e.review_on, datetime.fromisoformat(e.starts_at).date()) for e in listed] == [
        ("2027-03-01", date(2027, 3, 2)),  # the Tuesday MAAG on or after each review date
        ("2027-05-24", date(2027, 5, 25)),
        ("2027-08-16", date(2027, 8, 17)),
    ]


def commissioned_for_review(app: PanelApp, case_id: uuid.UUID) -> tuple[uuid.UUID, Meeting]:
    """A package of the case commissioned (its review due on 2027-03-01), and the meeting that
    lists the review."""
    package_id = uuid.uuid4()
    work = Work(app)
    use.package_commissioned(work, case_id, package_id, Panel.MAAG, date(2027, 3, 1))
    work.commit()
    listed = next(e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewListed))
    meeting: Any = app.repository.get(listed.meeting_id)
    return package_id, meeting


def _review_body(case_id: uuid.UUID, package_id: uuid.UUID, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "review-package",
        "case_id": str(case_id),
        "package_id": str(package_id),
        "goals": "partly",
        "level_of_need_change": 0,
        "decision": "continue",
        "reason": "progress at school, not yet at home",
    }
    return {**body, **more}


def test_the_panel_reviews_a_package_at_its_meeting_and_commissioning_is_told(
    app: PanelApp,
) -> None:
    from services.panel.adapters.translate import translate

    case_id = _accept(app)
    package_id, review_meeting = commissioned_for_review(app, case_id)
    _quorate(app, review_meeting)
    _decide(app, review_meeting, **_review_body(case_id, package_id, decision="decommission"))
    (decided,) = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewDecided)]
    out = translate(decided)
    assert out is not None and type(out.event).__name__ == "PackageReviewDecided"
    assert out.event.model_dump(mode="json")["effective_from"] == "2027-03-02"  # the meeting's day
    assert causation.actor_of(decided) == CHAIR.record

    # Once commissioning has decommissioned it, the package has no more reviews.
    work = Work(app)
    use.package_decommissioned(work, case_id, package_id, "outcomes-met")
    work.commit()
    with pytest.raises(PanelRuleBroken, match=r"package_id: .* is decommissioned"):
        _decide(app, review_meeting, **_review_body(case_id, package_id))
    with pytest.raises(PanelRuleBroken, match=r"package_id: case .* has no package"):
        _decide(app, review_meeting, **_review_body(case_id, uuid.uuid4()))


def test_a_recommission_names_its_interventions_and_nothing_else_does() -> None:
    from pydantic import ValidationError

    case_id, package_id = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(ValidationError, match="interventions: required for a recommission"):
        decision(_review_body(case_id, package_id, decision="recommission"))
    with pytest.raises(ValidationError, match="interventions: required for a recommission"):
        decision(
            _review_body(
                case_id,
                package_id,
                interventions=[
                    {
                        "service": "x",
                        "hours_per_week": 1,
                        "starts_on": "2027-03-08",
                        "review_interval_weeks": 12,
                        "estimated_weekly_cost_pence": 0,
                    }
                ],
            )
        )


def _line(
    service: str = "therapy", hours: float = 2, starts_on: str = "2027-01-04", pence: int = 18000
) -> dict[str, Any]:
    return {
        "service": service,
        "hours_per_week": hours,
        "starts_on": starts_on,
        "review_interval_weeks": 12,
        "estimated_weekly_cost_pence": pence,
    }


def _escalated_to(app: PanelApp, panel: Panel) -> tuple[uuid.UUID, Meeting]:
    case_id = _accept(app, level=4)
    maag = _meeting(app, case_id)
    _quorate(app, maag)
    _decide(
        app,
        maag,
        kind="escalate",
        case_id=str(case_id),
        to=panel.value,
        reason="placement breaking down",
        justification="level 4",
    )
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    return case_id, meeting


def test_the_jap_agrees_a_split_and_what_the_package_avoids_for_the_case(app: PanelApp) -> None:
    from services.panel.adapters.translate import translate

    case_id, jap = _escalated_to(app, Panel.JAP)
    _decide(
        app,
        jap,
        kind="request-package",
        case_id=str(case_id),
        interventions=[_line()],
        alternative_to=["out-of-county-placement", "hospital"],
        funding_split=[
            {"agency": "childrens-services", "percent": 60},
            {"agency": "pct", "percent": 40},
        ],
    )
    (requested,) = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.PackageRequested)]
    out = translate(requested)
    assert out is not None
    published = out.event.model_dump(mode="json")
    assert published["alternative_to"] == ["out-of-county-placement", "hospital"]
    assert published["funding_split"] == [
        {"agency": "childrens-services", "percent": 60},
        {"agency": "pct", "percent": 40},
    ]


@pytest.mark.parametrize(
    ("panel", "terms", "refusal"),
    [
        (
            Panel.JAP,
            {
                "alternative_to": ["hospital"],
                "funding_split": [
                    {"agency": "childrens-services", "percent": 50},
                    {"agency": "pct", "percent": 40},
                ],
            },
            "funding_split: the shares sum to 90, not 100",
        ),
        (
            Panel.JAP,
            {
                "alternative_to": ["hospital"],
                "funding_split": [
                    {"agency": "police", "percent": 50},
                    {"agency": "pct", "percent": 50},
                ],
            },
            "funding_split: police do not fund JAP packages",
        ),
        (
            Panel.JAP,
            {"alternative_to": ["hospital"]},
            "funding_split: the JAP agrees each package's joint funding",
        ),
        (
            Panel.EARP,
            {},
            "alternative_to: an EARP package must name what it is an alternative to",
        ),
        (
            Panel.EARP,
            {
                "alternative_to": ["accommodation"],
                "funding_split": [{"agency": "pct", "percent": 100}],
            },
            "funding_split: only the JAP agrees joint funding",
        ),
    ],
)
def test_a_package_request_missing_its_tiers_terms_is_refused_naming_the_field(
    app: PanelApp, panel: Panel, terms: dict[str, Any], refusal: str
) -> None:
    case_id, meeting = _escalated_to(app, panel)
    with pytest.raises(PanelRuleBroken, match=refusal):
        _decide(
            app,
            meeting,
            kind="request-package",
            case_id=str(case_id),
            interventions=[_line()],
            justification="level 4",
            **terms,
        )
    assert not [e for e in app.events.get(case_id) if isinstance(e, PanelCase.PackageRequested)]


def test_a_maag_package_may_name_what_it_is_there_to_prevent(app: PanelApp) -> None:
    # early help, counted apart from the EARP's and JAP's alternatives: optional at a MAAG
    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    _decide(
        app,
        meeting,
        kind="request-package",
        case_id=str(case_id),
        interventions=[_line()],
        alternative_to=["leaving-home", "loss-of-school-place"],
    )
    (requested,) = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.PackageRequested)]
    assert requested.alternative_to == ["leaving-home", "loss-of-school-place"]
    published = translate(requested)
    assert published is not None
    assert [a.value for a in published.event.alternative_to] == [  # type: ignore[attr-defined]
        "leaving-home",
        "loss-of-school-place",
    ]
    other = _accept(app)
    _decide(  # and may name nothing
        app,
        _meeting(app, other),
        kind="request-package",
        case_id=str(other),
        interventions=[_line()],
    )


def test_a_confirmed_match_joins_a_new_referral_to_the_childs_open_case(app: PanelApp) -> None:
    open_case = _accept(app)
    first_meeting = _meeting(app, open_case)
    _quorate(app, first_meeting)
    _assign_lead(app, first_meeting, open_case)
    new = _accept(app)
    new_meeting = _meeting(app, new)
    work = Work(app)
    use.child_match_confirmed(work, new, open_case, FRIDAY)
    work.commit()
    joined = _case(app, new)
    assert joined.status == "joined" and not joined.listings
    after: Any = app.repository.get(new_meeting.id)
    assert new not in after.agenda
    target = _case(app, open_case)
    assert target.joined == {new}
    # on the agenda the new referral was on (already, here: no second listing)
    assert new_meeting.id in target.listings
    # a repeat changes nothing; the joined referral takes no decisions
    work = Work(app)
    use.child_match_confirmed(work, new, open_case, FRIDAY)
    use.referral_accepted(work, new, "harlow", 3, ["camhs"], FRIDAY)
    work.commit()
    assert _case(app, open_case).joined == {new} and not _case(app, new).listings
    published = [
        o.event
        for n in app.notifications(1, 1000)
        if (o := outbound(CLASSES, translate, app.mapper.to_domain_event(n))) is not None
    ]
    (joined_event,) = [e for e in published if isinstance(e, CaseJoined)]
    assert joined_event.case_id == new and joined_event.into_case_id == open_case
    assert new_meeting.id in joined_event.removed_from_meetings


def test_a_referral_accepted_for_a_child_with_an_open_case_opens_no_new_case(
    app: PanelApp,
) -> None:
    open_case = _accept(app)
    new = uuid.uuid4()
    for _ in range(2):  # a redelivery changes nothing
        work = Work(app)
        use.referral_accepted(work, new, "harlow", 3, ["camhs"], FRIDAY, joins_case_id=open_case)
        work.commit()
    assert _case(app, open_case).joined == {new}
    assert app.repository.get(open_case) and new not in {
        n.originator_id for n in app.notifications(1, 1000)
    }


def test_a_case_already_worked_does_not_join_another(app: PanelApp) -> None:
    open_case = _accept(app)
    new = _accept(app)
    meeting = _meeting(app, new)
    _quorate(app, meeting)
    _assign_lead(app, meeting, new)
    work = Work(app)
    use.child_match_confirmed(work, new, open_case, FRIDAY)
    work.commit()
    assert _case(app, new).status == "active" and _case(app, open_case).joined == set()


def test_a_review_follows_the_case_to_the_tier_that_holds_it(app: PanelApp) -> None:
    # The MAAG agreed a package (review due 2027-03-01); then escalated the case to the EARP.
    case_id = _accept(app)
    first = _meeting(app, case_id)
    package_id, maag_review = commissioned_for_review(app, case_id)
    _quorate(app, first)
    _decide(app, first, kind="escalate", case_id=str(case_id), to="earp", reason="needs therapy")

    # The review is no longer on the MAAG's meeting, which may not decide on the case: it is
    # on the EARP's first meeting on or after the review falls due, and the lead is told.
    case = _case(app, case_id)
    stranded: Any = app.repository.get(maag_review.id)
    assert case_id not in stranded.agenda and maag_review.id not in case.listings
    (moved,) = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewMoved)]
    assert (moved.package_id, moved.meeting_id, moved.to_panel) == (
        package_id,
        maag_review.id,
        "earp",
    )
    listed = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewListed)]
    assert [(e.panel, e.review_on) for e in listed] == [
        ("maag", "2027-03-01"),
        ("earp", "2027-03-01"),
    ]
    earp_review: Any = app.repository.get(listed[-1].meeting_id)
    assert earp_review.panel is Panel.EARP and case_id in earp_review.agenda
    assert earp_review.starts_at.date() >= date(2027, 3, 1)

    # A review that continues the package lists the next one at the tier holding the case.
    work = Work(app)
    use.package_reviewed(work, case_id, package_id, 0, date(2027, 5, 24))
    work.commit()
    last = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewListed)][-1]
    assert (last.panel, last.review_on) == ("earp", "2027-05-24")


def test_a_case_moved_at_its_review_meeting_takes_the_undecided_review_with_it(
    app: PanelApp,
) -> None:
    # The MAAG meets on the review's day and escalates the case instead of reviewing the
    # package: the review is not left behind with the meeting's decision.
    case_id = _accept(app)
    package_id, review_meeting = commissioned_for_review(app, case_id)
    _quorate(app, review_meeting)
    _decide(app, review_meeting, kind="escalate", case_id=str(case_id), to="earp", reason="therapy")
    listed = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewListed)]
    assert [(e.package_id, e.panel) for e in listed] == [(package_id, "maag"), (package_id, "earp")]
    earp_review: Any = app.repository.get(listed[-1].meeting_id)
    assert case_id in earp_review.agenda
    kept: Any = app.repository.get(review_meeting.id)
    assert case_id in kept.agenda  # the MAAG's meeting keeps its decision on the case
    assert not _case(app, case_id).reviews_elsewhere()


def test_a_closure_records_where_the_child_stands_and_publishes_it(app: PanelApp) -> None:
    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    _decide(
        app,
        meeting,
        kind="close",
        case_id=str(case_id),
        reason="goals met; the family manages",
        outcomes=["living-at-home", "in-local-school", "stepped-down-to-universal-services"],
    )
    (closed,) = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.Closed)]
    published = translate(closed)
    assert published is not None
    assert [o.value for o in published.event.outcomes] == [  # type: ignore[attr-defined]
        "living-at-home",
        "in-local-school",
        "stepped-down-to-universal-services",
    ]
    with pytest.raises(ValueError, match="outcomes"):
        decision({"kind": "close", "case_id": str(case_id), "reason": "x", "outcomes": ["rich"]})


def test_each_failed_attempt_at_a_package_is_relisted_its_redeliveries_once(
    app: PanelApp,
) -> None:
    case_id = _accept(app)
    package_id, review_meeting = commissioned_for_review(app, case_id)
    _quorate(app, review_meeting)
    meeting, at = review_meeting, datetime(2027, 3, 2, 12, 0, tzinfo=LOCAL)
    for attempt in range(2):  # a recommission fails; decided again, it fails again
        recommission = _review_body(
            case_id,
            package_id,
            decision="recommission",
            interventions=[_line("family support", 2, "2027-03-08")],
        )
        _decide(app, meeting, **recommission)
        for _ in range(2):  # each failure arrives twice: listed once
            work = Work(app)
            use.commissioning_failed(
                work, case_id, package_id, Panel.MAAG, "no-capacity", "none free", at
            )
            work.commit()
        listed = [
            e
            for e in app.events.get(case_id)
            if isinstance(e, PanelCase.CommissioningFailureListed)
        ]
        assert len(listed) == attempt + 1
        meeting = app.repository.get(listed[-1].meeting_id)
        _quorate(app, meeting)


def test_a_case_accepted_after_a_meetings_agenda_closed_goes_to_the_one_after(
    app: PanelApp,
) -> None:
    # the Tuesday 1 December MAAG's agenda closes a day before it starts (10:00 Monday)
    listed_on = {}
    for name, accepted in (
        ("sunday", datetime(2026, 11, 29, 9, 0, tzinfo=LOCAL)),
        ("monday, 09:59", datetime(2026, 11, 30, 9, 59, tzinfo=LOCAL)),
        ("monday, 10:01", datetime(2026, 11, 30, 10, 1, tzinfo=LOCAL)),
    ):
        case_id = uuid.uuid4()
        work = Work(app)
        use.referral_accepted(work, case_id, "harlow", 3, ["camhs", "housing"], accepted)
        work.commit()
        listed_on[name] = _meeting(app, case_id).starts_at.date()
    assert listed_on == {
        "sunday": date(2026, 12, 1),
        "monday, 09:59": date(2026, 12, 1),  # a day and a minute before: still open
        "monday, 10:01": date(2026, 12, 8),  # the agenda had closed: the next week's
    }


def test_a_case_a_meeting_left_undecided_is_carried_to_the_next_with_the_reason(
    app: PanelApp, agendas: Agendas
) -> None:
    from services.panel.application.commands.carry_undecided import carry_undecided

    undecided, decided = _accept(app), _accept(app)  # both on the MAAG of 1 December
    meeting = _meeting(app, undecided)
    _quorate(app, meeting)
    _assign_lead(app, meeting, decided)
    during = datetime(2026, 12, 1, 16, 0, tzinfo=LOCAL)
    assert carry_undecided(app, during, agendas) == 0  # its day is not over: still to decide
    after = datetime(2026, 12, 2, 11, 0, tzinfo=LOCAL)
    assert carry_undecided(app, after, agendas) == 1
    assert carry_undecided(app, after, agendas) == 0  # once
    moved = _case(app, undecided)
    (next_meeting,) = moved.listings
    carried_to: Any = app.repository.get(next_meeting)
    assert carried_to.starts_at.date() == date(2026, 12, 8)
    assert carried_to.agenda[undecided] == (
        "carried over: not decided at the meeting on 2026-12-01"
    )
    ended: Any = app.repository.get(meeting.id)
    assert undecided not in ended.agenda and decided in ended.agenda  # decided: stays
    assert meeting.id in _case(app, decided).listings


# --- meetings in time: attendance and decisions from a meeting's start until its window ---


def _member(person: str = "p2", districts: list[str] = ALL_DISTRICTS) -> Caller:
    return Caller.of(person, Role.PANEL_MEMBER, "education", districts, ALL_TIERS)


def _call_meeting(app: PanelApp, at: datetime) -> Meeting:
    """A meeting of the harlow MAAG called for `at` (off its weekly programme)."""
    from services.panel.application.commands.schedule_meeting import ScheduleMeeting
    from services.panel.domain.schedule import PanelRef

    called: Meeting = app.handle(
        ScheduleMeeting(
            ref=PanelRef(Panel.MAAG, District("harlow")),
            starts_at=at,
            caller=_member(),
            correlation_id="corr-s",
        )
    )
    return called


def _list(app: PanelApp, meeting: Meeting, case_id: uuid.UUID, caller: Caller | None = None) -> Any:
    from services.panel.application.commands.list_case import ListCase

    return app.handle(
        ListCase(
            meeting_id=meeting.id,
            case_id=case_id,
            reason="the family's housing broke down",
            caller=caller or _member(),
            correlation_id="corr-l",
        )
    )


def test_attendance_and_decisions_are_refused_before_a_meeting_starts_and_after_its_window(
    app: PanelApp,
) -> None:
    case_id = _accept(app)
    meeting = _meeting(app, case_id)  # harlow MAAG, Tuesday 1 December 10:00
    sit(app, meeting.id, timedelta(minutes=-1))
    with pytest.raises(
        PanelRuleBroken, match=r"^meeting_id: the meeting starts at 2026-12-01 10:00"
    ):
        attend(app, meeting, "p1", "P One", "social-care")
    assert not _meeting(app, case_id).attendance  # nothing recorded
    _quorate(app, meeting)  # at its start
    at = meeting.starts_at + app.meeting_window
    app.now = lambda: at  # the last moment of its window: still decides
    _assign_lead(app, meeting, case_id)
    late = at + timedelta(seconds=1)
    app.now = lambda: late
    version = _case(app, case_id).version
    with pytest.raises(
        PanelRuleBroken,
        match=r"^meeting_id: the meeting's window closed at "
        r"2026-12-02 10:00: decisions are recorded only until then",
    ):
        _decide(app, meeting, kind="defer", case_id=str(case_id), reason="more information")
    assert _case(app, case_id).version == version
    with pytest.raises(PanelRuleBroken, match="window closed"):
        attend(app, meeting, "p4", "P Four", "housing")


def test_the_window_is_the_meeting_window_setting(settings: Settings) -> None:
    shorter = PanelApp(replace(settings, meeting_window_hours=2), quorum_other_agencies=2)
    case_id = _accept(shorter)
    meeting = _meeting(shorter, case_id)
    sit(shorter, meeting.id, timedelta(hours=2, minutes=1))
    with pytest.raises(PanelRuleBroken, match="window closed at 2026-12-01 12:00"):
        attend(shorter, meeting, "p1", "P One", "social-care")


def test_a_case_listed_on_a_meeting_called_now_leaves_the_later_one_and_is_decided_there(
    app: PanelApp,
) -> None:
    case_id = _accept(app)
    programme = _meeting(app, case_id)  # Tuesday's
    app.now = lambda: FRIDAY
    called = _call_meeting(app, FRIDAY)
    _list(app, called, case_id)
    case = _case(app, case_id)
    assert list(case.listings) == [called.id]
    left: Any = app.repository.get(programme.id)
    assert case_id not in left.agenda
    here: Any = app.repository.get(called.id)
    assert here.agenda[case_id] == (
        "brought forward: the family's housing broke down (listed for: new referral)"
    )
    version = case.version
    _list(app, called, case_id)  # again: already listed, nothing more
    assert _case(app, case_id).version == version
    _quorate(app, called)
    assert _assign_lead(app, called, case_id).lead is not None


def test_a_review_brought_forward_is_reviewed_at_the_meeting_called_for_it(
    app: PanelApp,
) -> None:
    case_id = _accept(app)
    first = _meeting(app, case_id)
    _quorate(app, first)
    _assign_lead(app, first, case_id)  # decided: it stays on the first meeting
    package_id, review_meeting = commissioned_for_review(app, case_id)  # 2 March 2027
    soon = datetime(2027, 1, 12, 15, 0, tzinfo=LOCAL)
    app.now = lambda: soon
    called = _call_meeting(app, soon)
    _list(app, called, case_id)
    case = _case(app, case_id)
    assert review_meeting.id not in case.listings and called.id in case.listings
    assert case.packages[package_id].review_meeting == called.id
    _quorate(app, called)
    _decide(app, called, **_review_body(case_id, package_id))
    assert _case(app, case_id).reviews_off_agenda() == []


def test_a_case_is_listed_only_by_its_panel_on_a_meeting_that_has_not_ended(
    app: PanelApp,
) -> None:
    from maag.runtime.store.unit_of_work import NotFound

    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    sit(app, meeting.id, app.meeting_window + timedelta(minutes=1))
    with pytest.raises(PanelRuleBroken, match=r"^meeting_id: the meeting's window closed"):
        _list(app, meeting, case_id)
    app.now = lambda: FRIDAY
    called = _call_meeting(app, FRIDAY)
    elsewhere = _member("p9", ["basildon"])
    with pytest.raises((NotFound, Forbidden)):  # neither the case nor the meeting is theirs
        _list(app, called, case_id, elsewhere)
    earp, escalated = _escalated_to(app, Panel.EARP)
    app.now = lambda: FRIDAY
    with pytest.raises(PanelRuleBroken, match=r"^meeting_id: the case is held by the EARP"):
        _list(app, called, earp)
    assert escalated.id in _case(app, earp).listings


def test_a_meeting_is_called_for_now_or_later_not_for_a_time_gone_by(app: PanelApp) -> None:
    app.now = lambda: FRIDAY
    with pytest.raises(PanelRuleBroken, match=r"^starts_at: a meeting is called for now or later"):
        _call_meeting(app, FRIDAY - timedelta(minutes=6))
    assert _call_meeting(app, FRIDAY - timedelta(minutes=4)).starts_at < FRIDAY  # a clock behind
    case_id = _accept(app)
    programme = _meeting(app, case_id)
    sit(app, programme.id, timedelta(hours=3))
    assert _call_meeting(app, programme.starts_at).id == programme.id  # scheduled: found


def test_a_meeting_that_moved_the_case_on_cannot_list_it_again(app: PanelApp) -> None:
    case_id = _accept(app)
    app.now = lambda: FRIDAY
    called = _call_meeting(app, FRIDAY)
    _list(app, called, case_id)
    _quorate(app, called)
    _decide(app, called, kind="defer", case_id=str(case_id), reason="school report due")
    (waiting,) = _case(app, case_id).listings
    with pytest.raises(PanelRuleBroken, match=r"^meeting_id: this meeting decided on the case"):
        _list(app, called, case_id)
    assert list(_case(app, case_id).listings) == [waiting]  # still waits where it was deferred to


def test_a_case_sitting_on_an_earlier_meeting_is_brought_to_the_one_called_too(
    app: PanelApp,
) -> None:
    case_id = _accept(app)
    programme = _meeting(app, case_id)
    sit(app, programme.id, timedelta(hours=2))  # Tuesday's sits; it has not decided yet
    later = programme.starts_at + timedelta(hours=2)
    called = _call_meeting(app, later)
    _list(app, called, case_id)
    assert list(_case(app, case_id).listings) == [called.id]
    left: Any = app.repository.get(programme.id)
    assert case_id not in left.agenda


def test_a_review_brought_forward_and_not_taken_goes_back_to_its_day(
    app: PanelApp, agendas: Agendas
) -> None:
    from services.panel.application.commands.carry_undecided import carry_undecided

    case_id = _accept(app)
    package_id, review_meeting = commissioned_for_review(app, case_id)  # due 1 March 2027
    soon = datetime(2027, 1, 12, 15, 0, tzinfo=LOCAL)
    app.now = lambda: soon
    called = _call_meeting(app, soon)
    _list(app, called, case_id)
    _quorate(app, called)
    _assign_lead(app, called, case_id)  # decided on the case, not on the review
    after = soon + app.meeting_window + timedelta(minutes=1)
    assert carry_undecided(app, after, agendas) == 1  # the review; the case was decided
    assert carry_undecided(app, after, agendas) == 0  # once
    case = _case(app, case_id)
    assert called.id in case.listings  # the decision stays where it was taken
    assert case.packages[package_id].review_meeting == review_meeting.id  # back to its day
    assert review_meeting.id in case.listings
    again: Any = app.repository.get(review_meeting.id)
    assert case_id in again.agenda


def test_a_decommissioned_package_s_review_is_not_brought_forward(app: PanelApp) -> None:
    case_id = _accept(app)
    package_id, review_meeting = commissioned_for_review(app, case_id)
    work = Work(app)
    use.package_decommissioned(work, case_id, package_id, "case-closed")
    work.commit()
    soon = datetime(2027, 1, 12, 15, 0, tzinfo=LOCAL)
    app.now = lambda: soon
    called = _call_meeting(app, soon)
    _list(app, called, case_id)
    listed = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewListed)]
    assert [e.meeting_id for e in listed] == [review_meeting.id]  # not listed again


def test_a_called_meeting_that_decided_nothing_carries_its_case_to_the_next_meeting(
    app: PanelApp, agendas: Agendas
) -> None:
    from services.panel.application.commands.carry_undecided import carry_undecided

    case_id = _accept(app)
    app.now = lambda: FRIDAY
    called = _call_meeting(app, FRIDAY)
    _list(app, called, case_id)
    assert carry_undecided(app, FRIDAY + app.meeting_window, agendas) == 0  # still sits
    after = FRIDAY + app.meeting_window + timedelta(minutes=1)
    assert carry_undecided(app, after, agendas) == 1
    (to,) = _case(app, case_id).listings
    carried: Any = app.repository.get(to)
    assert carried.starts_at == datetime(2026, 12, 1, 10, 0, tzinfo=LOCAL)  # Tuesday's, still open
    assert carried.agenda[case_id] == "carried over: not decided at the meeting on 2026-11-27"


def test_a_review_already_due_when_listed_goes_to_a_meeting_still_to_come(app: PanelApp) -> None:
    case_id = _accept(app)
    package_id = uuid.uuid4()
    work = Work(app)
    # commissioned late, its first review already due: not listed on a meeting long gone
    use.package_commissioned(work, case_id, package_id, Panel.MAAG, date(2026, 10, 1))
    work.commit()
    (listed,) = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewListed)]
    assert datetime.fromisoformat(listed.starts_at) > datetime.now(LOCAL)


def test_a_closed_case_leaves_every_agenda_its_reviews_were_on(app: PanelApp) -> None:
    case_id = _accept(app)
    first = _meeting(app, case_id)
    _, review_meeting = commissioned_for_review(app, case_id)
    _quorate(app, first)
    _decide(app, first, kind="close", case_id=str(case_id), reason="needs met")
    left: Any = app.repository.get(review_meeting.id)
    assert case_id not in left.agenda  # no meeting waits on a closed case
    closed_at: Any = app.repository.get(first.id)
    assert case_id in closed_at.agenda  # the meeting that closed it keeps its decision
