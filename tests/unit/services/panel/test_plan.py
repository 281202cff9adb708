"""The Team Around the Child and its integrated plan: owned by the lead professional, needs ->
goals -> actions with an owner and a date, meetings with the family, progress, the plan
agreed and reviewed (published as counts only), and its review taken up by the panel's."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.events.panel import PlanAgreed, PlanReviewed
from contracts.reference import Role
from maag.runtime.messaging.outbox import outbound
from maag.runtime.store.unit_of_work import NotFound, Work
from maag.runtime.web.auth import Caller, Forbidden
from maag.runtime.web.http import Asking
from services.panel.adapters.bodies import PlanChange
from services.panel.adapters.http import PLAN_CHANGES, command_for
from services.panel.adapters.read_model import Agendas
from services.panel.adapters.translate import CLASSES, translate
from services.panel.adapters.views import PlanView
from services.panel.application.app import PanelApp
from services.panel.application.queries.read_plan import read_plan
from services.panel.domain.case import PanelCase
from services.panel.domain.plan import PlanRuleBroken, plan_id_for
from services.panel.domain.values import Outcome
from tests.unit.services.panel.deliveries import consent_withdrawn
from tests.unit.services.panel.test_case_flow import (
    _accept,
    _assign_lead,
    _decide,
    _meeting,
    _quorate,
    _review_body,
    commissioned_for_review,
)

LEAD = Caller.of("lp-1", Role.LEAD_PROFESSIONAL, "education")
change = TypeAdapter(PlanChange).validate_python


def _plan(app: PanelApp, case_id: uuid.UUID, body: dict[str, Any], who: Caller = LEAD) -> Any:
    asked = Asking(caller=who, correlation_id="corr-p", idempotency_key=None)
    return app.handle(command_for(PLAN_CHANGES, change(body), asked, case_id=case_id))


def _read(app: PanelApp, case_id: uuid.UUID, who: Caller) -> Any:
    """The plan as GET /cases/{case_id}/plan answers it (the read recorded)."""
    return PlanView.of(read_plan(app, case_id, who), case_id).model_dump(mode="json")


def _led_case(app: PanelApp) -> uuid.UUID:
    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    _quorate(app, meeting)
    _assign_lead(app, meeting, case_id)
    return case_id


def _three_goals(app: PanelApp, case_id: uuid.UUID) -> None:
    for member, org, role in (("lp-1", "education", "SENCo"), ("hv-2", "primary-health", "HV")):
        _plan(
            app,
            case_id,
            {
                "kind": "add-member",
                "member_id": member,
                "name": member,
                "organisation": org,
                "role": role,
            },
        )
    _plan(
        app,
        case_id,
        {
            "kind": "record-meeting",
            "held_on": "2026-11-20",
            "attended": ["lp-1", "hv-2", "family"],
            "consent_reconfirmed": True,
        },
    )
    for n in (1, 2, 3):
        _plan(app, case_id, {"kind": "record-need", "need_id": f"n{n}", "text": f"need {n}"})
        _plan(
            app,
            case_id,
            {"kind": "set-goal", "goal_id": f"g{n}", "need_id": f"n{n}", "text": f"goal {n}"},
        )
        _plan(
            app,
            case_id,
            {
                "kind": "agree-action",
                "action_id": f"a{n}",
                "goal_id": f"g{n}",
                "text": f"action {n}",
                "owner": "hv-2",
                "due_on": "2027-01-15",
            },
        )


def _published(app: PanelApp) -> list[Any]:
    return [
        o.event
        for n in app.notifications(1, 10_000)
        if (o := outbound(CLASSES, translate, app.mapper.to_domain_event(n))) is not None
    ]


def test_the_lead_professional_agrees_a_plan_of_three_goals_and_reviews_it(app: PanelApp) -> None:
    case_id = _led_case(app)
    _three_goals(app, case_id)
    _plan(
        app, case_id, {"kind": "agree-plan", "agreed_on": "2026-11-20", "review_on": "2027-02-20"}
    )
    _plan(
        app,
        case_id,
        {
            "kind": "record-progress",
            "goal_id": "g1",
            "status": "on-track",
            "recorded_on": "2026-12-20",
        },
    )
    _plan(
        app,
        case_id,
        {
            "kind": "review-plan",
            "reviewed_on": "2027-02-20",
            "outcomes": [
                {"goal_id": "g1", "outcome": "met"},
                {"goal_id": "g2", "outcome": "partly"},
                {"goal_id": "g3", "outcome": "not-met"},
            ],
        },
    )
    _plan(
        app,
        case_id,
        {
            "kind": "review-plan",
            "reviewed_on": "2027-05-20",
            "outcomes": [{"goal_id": g, "outcome": "met"} for g in ("g1", "g2", "g3")],
        },
    )
    plan = _read(app, case_id, LEAD)
    assert [r["overall"] for r in plan["reviews"]] == ["partly", "met"]
    assert plan["goals"]["g1"]["progress"][0]["status"] == "on-track"
    published = _published(app)
    (agreed,) = [e for e in published if isinstance(e, PlanAgreed)]
    assert (agreed.case_id, agreed.goals, agreed.actions) == (case_id, 3, 3)
    assert agreed.team_organisations == ["education", "primary-health"]
    reviews = [e for e in published if isinstance(e, PlanReviewed)]
    assert [(r.goals_met, r.goals_partly, r.goals_not_met) for r in reviews] == [
        (1, 1, 1),
        (3, 0, 0),
    ]
    # nothing the plan says is published
    assert "goal 1" not in str([e.model_dump() for e in published])


def test_only_the_cases_lead_professional_changes_its_plan(app: PanelApp) -> None:
    case_id = _led_case(app)
    other = Caller.of("lp-9", Role.LEAD_PROFESSIONAL, "education")
    with pytest.raises(NotFound, match="case_id"):  # not theirs: no case they can see
        _plan(app, case_id, {"kind": "record-need", "need_id": "n1", "text": "x"}, other)
    member = Caller.of("p1", Role.PANEL_MEMBER, "social-care", ["harlow"], ["maag"])
    with pytest.raises(Forbidden):
        _plan(app, case_id, {"kind": "record-need", "need_id": "n1", "text": "x"}, member)
    assert _read(app, case_id, member)["started"] is False


@pytest.mark.parametrize("ends", ["closed", "consent withdrawn"])
def test_the_leads_access_to_the_plan_ends_when_the_case_closes_or_consent_goes(
    app: PanelApp, ends: str
) -> None:
    case_id = _led_case(app)
    _plan(app, case_id, {"kind": "record-need", "need_id": "n1", "text": "x"})
    assert _read(app, case_id, LEAD)["started"] is True
    if ends == "closed":
        _decide(app, _meeting(app, case_id), kind="close", case_id=str(case_id), reason="met")
    else:
        work = Work(app)
        consent_withdrawn(work, case_id, False)
        work.commit()
    with pytest.raises(NotFound, match="case_id"):
        _plan(app, case_id, {"kind": "record-need", "need_id": "n2", "text": "y"})
    with pytest.raises(NotFound, match="case_id"):
        _read(app, case_id, LEAD)


@pytest.mark.parametrize("missing", ["owner", "due_on"])
def test_an_action_without_an_owner_or_a_due_date_is_refused_naming_it(missing: str) -> None:
    body = {
        "kind": "agree-action",
        "action_id": "a1",
        "goal_id": "g1",
        "text": "call",
        "owner": "hv-2",
        "due_on": "2027-01-15",
    }
    del body[missing]
    with pytest.raises(ValidationError, match=missing):
        change(body)


def test_the_plans_rules_name_the_field(app: PanelApp) -> None:
    case_id = _led_case(app)
    _plan(app, case_id, {"kind": "record-need", "need_id": "n1", "text": "x"})
    _plan(app, case_id, {"kind": "set-goal", "goal_id": "g1", "need_id": "n1", "text": "y"})
    with pytest.raises(PlanRuleBroken, match="owner: nobody-1 is not in the team"):
        _plan(
            app,
            case_id,
            {
                "kind": "agree-action",
                "action_id": "a1",
                "goal_id": "g1",
                "text": "z",
                "owner": "nobody-1",
                "due_on": "2027-01-01",
            },
        )
    with pytest.raises(PlanRuleBroken, match="need_id"):
        _plan(app, case_id, {"kind": "set-goal", "goal_id": "g2", "need_id": "n9", "text": "y"})
    with pytest.raises(PlanRuleBroken, match="goals: g1 have no action"):
        _plan(
            app,
            case_id,
            {"kind": "agree-plan", "agreed_on": "2026-11-20", "review_on": "2027-02-20"},
        )
    with pytest.raises(PlanRuleBroken, match="outcomes: the plan has not been agreed"):
        _plan(
            app,
            case_id,
            {
                "kind": "review-plan",
                "reviewed_on": "2027-02-20",
                "outcomes": [{"goal_id": "g1", "outcome": "met"}],
            },
        )
    with pytest.raises(PlanRuleBroken, match="attended: x-1 not in the team"):
        _plan(
            app,
            case_id,
            {
                "kind": "record-meeting",
                "held_on": "2026-11-20",
                "attended": ["x-1"],
                "consent_reconfirmed": False,
            },
        )
    with pytest.raises(PlanRuleBroken, match="intervention"):
        _plan(
            app,
            case_id,
            {
                "kind": "add-member",
                "member_id": "hv-2",
                "name": "H",
                "organisation": "primary-health",
                "role": "HV",
            },
        )
        _plan(
            app,
            case_id,
            {
                "kind": "agree-action",
                "action_id": "a1",
                "goal_id": "g1",
                "text": "z",
                "owner": "hv-2",
                "due_on": "2027-01-01",
                "intervention": "therapy",
            },
        )


def test_the_panels_package_review_takes_up_the_plans_latest_review(app: PanelApp) -> None:
    case_id = _led_case(app)
    package_id, review_meeting = commissioned_for_review(app, case_id)
    _quorate(app, review_meeting)
    body = {k: v for k, v in _review_body(case_id, package_id).items() if k != "goals"}
    with pytest.raises(PlanRuleBroken, match="goals: give the goals' outcome"):
        _decide(app, review_meeting, **body)
    _three_goals(app, case_id)
    _plan(
        app, case_id, {"kind": "agree-plan", "agreed_on": "2026-11-20", "review_on": "2027-02-20"}
    )
    _plan(
        app,
        case_id,
        {
            "kind": "review-plan",
            "reviewed_on": "2027-02-20",
            "outcomes": [{"goal_id": g, "outcome": "met"} for g in ("g1", "g2", "g3")],
        },
    )
    _decide(app, review_meeting, **body)
    (decided,) = [e for e in app.events.get(case_id) if isinstance(e, PanelCase.ReviewDecided)]
    assert decided.goals == "met"


def test_overall() -> None:
    met, partly, not_met = Outcome.MET, Outcome.PARTLY, Outcome.NOT_MET
    assert Outcome.overall([met, met]) is met
    assert Outcome.overall([not_met, not_met]) is not_met
    assert Outcome.overall([met, not_met]) is partly


def test_every_kind_of_change_to_a_plan_has_its_command_and_its_handler() -> None:
    from dataclasses import fields
    from typing import get_args

    from services.panel.application.commands import handlers

    kinds = set(get_args(get_args(PlanChange)[0]))
    assert kinds and set(PLAN_CHANGES) == kinds
    for body, command in PLAN_CHANGES.items():
        assert command in handlers.kinds, command
        # the body's fields pass across by name: the command has each, and needs no other
        given = set(body.model_fields) - {"kind"}
        own = {f.name for f in fields(command)} - {"caller", "correlation_id", "idempotency_key"}
        assert own == given | {"case_id"}, body


def test_the_lead_s_tray_says_what_is_due_on_their_cases_and_clears_as_it_is_done(
    app: PanelApp, agendas: Agendas
) -> None:
    from services.panel.application.queries.case_work import case_work
    from tests.unit.services.panel.test_case_flow import commissioned_for_review

    case_id = _led_case(app)
    _three_goals(app, case_id)  # actions a1-a3 due 15 January 2027
    _plan(
        app, case_id, {"kind": "agree-plan", "agreed_on": "2026-11-25", "review_on": "2027-02-20"}
    )
    package_id, _ = commissioned_for_review(app, case_id)  # review due 1 March 2027

    def due(today: date, who: Caller = LEAD) -> list[tuple[str, str, str, bool]]:
        return [
            (i.kind, i.ref, i.due_on.isoformat(), i.overdue)
            for i in case_work(app, agendas, who, today)
        ]

    assert due(date(2026, 12, 1)) == []  # nothing within four weeks
    assert due(date(2027, 1, 24)) == [  # the actions overdue, the plan's review to come
        ("action", "a1", "2027-01-15", True),
        ("action", "a2", "2027-01-15", True),
        ("action", "a3", "2027-01-15", True),
        ("plan-review", str(plan_id_for(case_id)), "2027-02-20", False),
    ]
    _plan(
        app,
        case_id,
        {"kind": "record-progress", "goal_id": "g1", "status": "met", "recorded_on": "2027-01-16"},
    )
    _plan(
        app,
        case_id,
        {
            "kind": "review-plan",
            "reviewed_on": "2027-02-10",  # held ten days early: done all the same
            "outcomes": [{"goal_id": g, "outcome": "partly"} for g in ("g1", "g2", "g3")],
        },
    )
    assert due(date(2027, 2, 21)) == [  # g1 met: its action cleared; the plan reviewed
        ("action", "a2", "2027-01-15", True),
        ("action", "a3", "2027-01-15", True),
        ("package-review", str(package_id), "2027-03-01", False),
    ]
    other = Caller.of("lp-9", Role.LEAD_PROFESSIONAL, "education")
    assert due(date(2027, 2, 21), other) == []  # not their case
