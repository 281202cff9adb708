"""The safeguarding hand-off, the panel's side: a panel refers an open case to children's
social care's front door (off every agenda, no decisions), and the front door's answer
closes the case (taken on) or brings it back to its district's MAAG (stepped down)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from contracts.events import IntegrationEvent
from contracts.events.panel import CaseClosed, CaseListed, CaseReferredToSocialCare, CaseSteppedDown
from contracts.reference import Panel
from maag.runtime.messaging.outbox import outbound
from maag.runtime.store.unit_of_work import Work
from services.panel.adapters.translate import CLASSES, translate
from services.panel.application.app import PanelApp
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.rules import PanelRuleBroken
from services.panel.domain.schedule import LOCAL
from tests.unit.services.panel import deliveries as use
from tests.unit.services.panel.test_case_flow import (
    FRIDAY,
    _accept,
    _case,
    _decide,
    _escalated_to,
    _meeting,
    _quorate,
    commissioned_for_review,
)

AWAY = "with children's social care's front door: no decisions until it answers"
ANSWERED_AT = datetime(2026, 12, 3, 12, 0, tzinfo=LOCAL)  # the MAAG of 8 December is open


def _refer(app: PanelApp, meeting: Meeting, case_id: uuid.UUID) -> PanelCase:
    return _decide(
        app,
        meeting,
        kind="refer-to-social-care",
        case_id=str(case_id),
        reason="disclosure at school: needs a section 47 assessment",
    )


def _answer(app: PanelApp, case_id: uuid.UUID, answer: str, times: int = 1) -> None:
    for _ in range(times):  # each a delivery of its own (a redelivery after the first)
        work = Work(app)
        use.social_care_answered(work, case_id, answer, ANSWERED_AT)
        work.commit()


def _events(app: PanelApp, case_id: uuid.UUID, kind: type[Any]) -> list[Any]:
    return [e for e in app.events.get(case_id) if isinstance(e, kind)]


def _published(app: PanelApp, case_id: uuid.UUID) -> list[IntegrationEvent]:
    return [
        out.event
        for n in app.notifications(1, 1000)
        if n.originator_id == case_id
        and (out := outbound(CLASSES, translate, app.mapper.to_domain_event(n))) is not None
    ]


def _meeting_now(app: PanelApp, meeting_id: uuid.UUID) -> Meeting:
    found: Any = app.repository.get(meeting_id)
    assert isinstance(found, Meeting)
    return found


def _referred(app: PanelApp) -> tuple[uuid.UUID, Meeting, uuid.UUID, Meeting]:
    """A MAAG case with a package whose review is listed, referred at its first meeting:
    (case, that meeting, the package, the meeting its review was listed on)."""
    case_id = _accept(app)
    meeting = _meeting(app, case_id)
    package_id, review_meeting = commissioned_for_review(app, case_id)
    _quorate(app, meeting)
    _refer(app, meeting, case_id)
    return case_id, meeting, package_id, review_meeting


def test_a_referred_case_leaves_every_agenda_and_takes_no_decisions(app: PanelApp) -> None:
    case_id, meeting, _, review_meeting = _referred(app)

    case = _case(app, case_id)
    assert case.status == "at-social-care" and case.listings == {}
    assert case_id not in _meeting_now(app, review_meeting.id).agenda  # reviews too
    (referred,) = _events(app, case_id, PanelCase.ReferredToSocialCare)
    assert (referred.meeting_id, referred.removed_from) == (meeting.id, [review_meeting.id])
    (published,) = [e for e in _published(app, case_id) if isinstance(e, CaseReferredToSocialCare)]
    assert (published.panel, published.meeting_id) == (Panel.MAAG, meeting.id)
    assert published.reason == "disclosure at school: needs a section 47 assessment"

    # no decision, at the meeting that referred it or any other
    with pytest.raises(PanelRuleBroken, match=AWAY):
        _decide(app, meeting, kind="close", case_id=str(case_id), reason="x")
    with pytest.raises(PanelRuleBroken, match=AWAY):
        _refer(app, meeting, case_id)
    # and nothing lists it meanwhile: a review falling due, the referral accepted again
    listed_before = len(_events(app, case_id, PanelCase.ReviewListed))
    work = Work(app)
    use.package_commissioned(work, case_id, uuid.uuid4(), Panel.MAAG, date(2027, 4, 5))
    use.referral_accepted(work, case_id, "harlow", 3, ["camhs"], ANSWERED_AT)
    work.commit()
    case = _case(app, case_id)
    assert case.listings == {} and case.status == "at-social-care"
    assert len(_events(app, case_id, PanelCase.ReviewListed)) == listed_before


def test_a_referral_at_a_meeting_that_does_not_list_the_case_is_refused(app: PanelApp) -> None:
    case_id = _accept(app)  # on the MAAG of 1 December
    other = uuid.uuid4()
    work = Work(app)
    use.referral_accepted(work, other, "harlow", 3, ["camhs"], datetime(2026, 12, 2, tzinfo=LOCAL))
    work.commit()
    later = _meeting(app, other)  # the MAAG of 8 December
    _quorate(app, later)
    with pytest.raises(PanelRuleBroken, match="not on this meeting's agenda"):
        _refer(app, later, case_id)
    assert _case(app, case_id).status == "active"
    assert _events(app, case_id, PanelCase.ReferredToSocialCare) == []


def test_taken_on_by_social_care_the_case_closes_as_any_closure(app: PanelApp) -> None:
    case_id, meeting, _, _ = _referred(app)
    _answer(app, case_id, "accepted", times=2)  # the answer redelivered: one closure

    case = _case(app, case_id)
    assert case.status == "closed" and case.listings == {}
    (closed,) = _events(app, case_id, PanelCase.Closed)
    assert (closed.meeting_id, closed.reason, closed.outcomes) == (
        meeting.id,  # the meeting that referred it
        "taken on by children's social care",
        ["taken-on-by-social-care"],
    )
    (published,) = [e for e in _published(app, case_id) if isinstance(e, CaseClosed)]
    assert [o.value for o in published.outcomes] == ["taken-on-by-social-care"]
    assert (published.panel, published.meeting_id) == (Panel.MAAG, meeting.id)


def test_stepped_down_a_maag_case_is_listed_at_its_maags_next_open_meeting_once(
    app: PanelApp,
) -> None:
    case_id, meeting, package_id, review_meeting = _referred(app)
    _answer(app, case_id, "stepped-down", times=2)

    case = _case(app, case_id)
    assert case.status == "active" and case.panel is Panel.MAAG
    (listed_on,) = [_meeting_now(app, i) for i in case.listings if i != review_meeting.id]
    assert listed_on.ref == meeting.ref and listed_on.starts_at.date() == date(2026, 12, 8)
    assert listed_on.agenda[case_id] == "stepped down by children's social care"
    listed = [e for e in _events(app, case_id, PanelCase.Listed) if e.meeting_id == listed_on.id]
    assert len(listed) == 1
    # its review still to come is back on the agenda of the meeting it fell due at
    reviews = _events(app, case_id, PanelCase.ReviewListed)
    assert [(e.package_id, e.meeting_id) for e in reviews] == [(package_id, review_meeting.id)] * 2
    assert case_id in _meeting_now(app, review_meeting.id).agenda
    # the MAAG held it before and holds it now: no step-down between tiers is published
    published = _published(app, case_id)
    assert not [e for e in published if isinstance(e, CaseSteppedDown)]
    assert [e.reason for e in published if isinstance(e, CaseListed)][-1] == (
        "stepped down by children's social care"
    )
    # and its panel decides on it again
    _quorate(app, listed_on)
    _decide(app, listed_on, kind="defer", case_id=str(case_id), reason="awaiting assessment")


def test_stepped_down_an_earp_case_moves_to_its_districts_maag_and_says_so(
    app: PanelApp,
) -> None:
    case_id, earp = _escalated_to(app, Panel.EARP)
    _refer(app, earp, case_id)
    _answer(app, case_id, "stepped-down", times=2)

    case = _case(app, case_id)
    assert case.status == "active" and case.panel is Panel.MAAG
    (listed_on,) = [_meeting_now(app, i) for i in case.listings]
    assert listed_on.panel is Panel.MAAG and listed_on.district is not None
    assert listed_on.district.value == "harlow"
    assert listed_on.starts_at.date() == date(2026, 12, 8)
    (moved,) = [e for e in _published(app, case_id) if isinstance(e, CaseSteppedDown)]
    assert (moved.from_panel, moved.to_panel, moved.meeting_id) == (
        Panel.EARP,
        Panel.MAAG,
        listed_on.id,
    )
    assert moved.reason == "stepped down by children's social care"


def test_an_answer_about_a_case_the_panel_never_referred_changes_nothing(
    app: PanelApp,
) -> None:
    triaged = uuid.uuid4()  # referred at triage: no case at a panel
    _answer(app, triaged, "stepped-down")
    assert list(app.events.get(triaged)) == []
    listed = _accept(app)  # an open case, not referred
    _answer(app, listed, "accepted")
    assert _case(app, listed).status == "active"
    assert _events(app, listed, PanelCase.Closed) == []


def test_a_referral_social_care_stepped_down_is_listed_saying_so(app: PanelApp) -> None:
    case_id = uuid.uuid4()
    work = Work(app)
    use.referral_accepted(work, case_id, "harlow", 3, ["camhs"], FRIDAY, from_social_care=True)
    work.commit()
    meeting = _meeting(app, case_id)
    assert meeting.agenda[case_id] == "stepped down by children's social care"
    plain = _accept(app)  # any other: a new referral
    assert _meeting(app, plain).agenda[plain] == "new referral"


def test_a_review_falling_due_while_with_social_care_is_listed_when_it_comes_back(
    app: PanelApp,
) -> None:
    case_id, _, _, _ = _referred(app)
    later = uuid.uuid4()
    work = Work(app)
    use.package_commissioned(work, case_id, later, Panel.MAAG, date(2027, 4, 5))
    work.commit()
    assert not [e for e in _events(app, case_id, PanelCase.ReviewListed) if e.package_id == later]
    _answer(app, case_id, "stepped-down")
    (listed,) = [e for e in _events(app, case_id, PanelCase.ReviewListed) if e.package_id == later]
    assert listed.review_on == "2027-04-05" and listed.panel == "maag"
    assert date.fromisoformat(listed.starts_at[:10]) >= date(2027, 4, 5)


def test_consent_withdrawn_while_with_social_care_holds_the_case_until_it_returns(
    app: PanelApp,
) -> None:
    case_id, _, _, _ = _referred(app)
    work = Work(app)
    use.consent_withdrawn(work, case_id, False)
    work.commit()
    assert _case(app, case_id).status == "paused"
    # consent returns before the front door answers: back with social care, on no agenda
    work = Work(app)
    use.referral_accepted(work, case_id, "harlow", 3, ["camhs"], ANSWERED_AT)
    work.commit()
    case = _case(app, case_id)
    assert case.status == "at-social-care" and case.listings == {}
    # withdrawn again, then stepped down: held by the MAAG, paused, listed nowhere
    work = Work(app)
    use.consent_withdrawn(work, case_id, False)
    work.commit()
    _answer(app, case_id, "stepped-down", times=2)
    case = _case(app, case_id)
    assert (case.status, case.panel, case.listings) == ("paused", Panel.MAAG, {})
    # consent given again: listed at its MAAG
    work = Work(app)
    use.referral_accepted(work, case_id, "harlow", 3, ["camhs"], ANSWERED_AT)
    work.commit()
    case = _case(app, case_id)
    assert case.status == "active" and len(case.listings) == 1
