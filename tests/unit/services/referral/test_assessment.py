"""The Early Help Assessment of a case: versions that all stay, a draft authorised by another
person than its assessor, an authorised version fixed (a change is a new draft), reviews of
an authorised assessment only, nothing after its closure; the Assessment Framework's
headings and no other; the summary for those who may read the case holds no text."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from contracts.events.referral import ReferralDetails
from contracts.limits import HTTP_BODY_BYTES
from contracts.reference import Role
from maag.runtime.web.auth import Caller
from services.referral.adapters.assessment import ASSESSMENT_BODY_BYTES
from services.referral.adapters.dependencies import today
from services.referral.application.commands import SubmitReferral
from services.referral.domain.assessment import (
    HEADING_CHARS,
    HEADINGS,
    VIEW_CHARS,
    VIEWS,
    Assessment,
    AssessmentConflict,
    ChildDevelopment,
    Content,
    Domain,
    FamilyEnvironment,
    Finding,
    ParentingCapacity,
    Professional,
    Status,
    UnknownHeading,
    assessment_id_for,
)
from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api

ASSESSOR = Professional("sam-assessor", "education")
MANAGER = Professional("mo-manager", "education")
DAY = date(2026, 11, 20)


def _assessment(case_id: UUID | None = None) -> Assessment:
    found = Assessment(case_id=case_id or uuid.uuid4())
    found.record("sealed-1", DAY, ASSESSOR)
    return found


# --- the aggregate ---------------------------------------------------------------------------


def test_each_change_is_a_new_version_and_every_version_stays() -> None:
    case_id = uuid.uuid4()
    assessment = _assessment(case_id)
    assessment.record("sealed-2", date(2026, 11, 21), Professional("another", "camhs"))
    assert assessment.id == assessment_id_for(case_id)  # one per case
    assert [v.number for v in assessment.versions] == [1, 2]
    assert [v.sealed_content for v in assessment.versions] == ["sealed-1", "sealed-2"]
    assert assessment.current.assessor == Professional("another", "camhs")
    assert assessment.status is Status.DRAFT


def test_an_authorised_version_is_fixed_and_a_change_is_a_new_draft_to_authorise_again() -> None:
    assessment = _assessment()
    assessment.authorise(MANAGER, date(2026, 11, 22))
    assert assessment.status is Status.AUTHORISED
    assert assessment.versions[0].authorised is not None
    assert assessment.versions[0].authorised.by == MANAGER
    with pytest.raises(AssessmentConflict, match=r"^authorisation: version 1 was authorised"):
        assessment.authorise(MANAGER, date(2026, 11, 22))

    assessment.record("sealed-2", date(2026, 11, 23), ASSESSOR)
    assert assessment.status in (Status.DRAFT,)
    assert assessment.versions[0].authorised is not None  # the authorised one stays as it was
    assert assessment.versions[0].sealed_content == "sealed-1"
    assert assessment.current.authorised is None
    assessment.authorise(MANAGER, date(2026, 11, 24))
    assert assessment.status is Status.AUTHORISED


def test_the_assessor_may_not_authorise_their_own_assessment() -> None:
    assessment = _assessment()
    same_person = Professional(ASSESSOR.professional_id, "another-agency")
    with pytest.raises(AssessmentConflict, match="assessor may not authorise their own"):
        assessment.authorise(same_person, date(2026, 11, 22))
    assert assessment.status is Status.DRAFT
    assert [type(e) for e in assessment.pending_events] == [
        Assessment.Started,
        Assessment.VersionRecorded,
    ]


def test_only_an_authorised_assessment_is_reviewed_and_reviews_repeat() -> None:
    assessment = _assessment()
    with pytest.raises(AssessmentConflict, match=r"^review: version 1 is a draft"):
        assessment.review(date(2026, 11, 22), "sealed-note", MANAGER)
    assessment.authorise(MANAGER, date(2026, 11, 22))
    with pytest.raises(AssessmentConflict, match=r"^reviewed_on: before version 1 was"):
        assessment.review(date(2026, 11, 21), "sealed-note", MANAGER)
    assessment.review(date(2027, 2, 1), "sealed-note-1", ASSESSOR)
    assessment.review(date(2027, 5, 1), "sealed-note-2", ASSESSOR)
    assert assessment.status is Status.REVIEWED
    assert [r.on for r in assessment.reviews] == [date(2027, 2, 1), date(2027, 5, 1)]
    assert assessment.last_review is not None and assessment.last_review.on == date(2027, 5, 1)


def test_a_closed_assessment_refuses_everything() -> None:
    assessment = _assessment()
    assessment.authorise(MANAGER, date(2026, 11, 22))
    assessment.close(date(2026, 12, 1), "sealed-reason", MANAGER)
    assert assessment.status is Status.CLOSED
    refusals: tuple[tuple[Callable[[], None], str], ...] = (
        (lambda: assessment.record("sealed-3", DAY, ASSESSOR), "assessment"),
        (lambda: assessment.authorise(MANAGER, date(2026, 12, 2)), "authorisation"),
        (lambda: assessment.review(date(2026, 12, 2), "note", MANAGER), "review"),
        (lambda: assessment.close(date(2026, 12, 2), "again", MANAGER), "closure"),
    )
    for attempt, field in refusals:
        with pytest.raises(AssessmentConflict, match=rf"^{field}: the assessment was closed on"):
            attempt()
    assert len(assessment.versions) == 1 and not assessment.reviews


def test_a_stored_event_erased_reads_as_none() -> None:
    """The store opens a sealed value whose key is gone as None: the apply takes it."""
    assessment = _assessment()
    assessment.trigger_event(
        Assessment.VersionRecorded,
        number=2,
        sealed_content=None,
        assessed_on=DAY.isoformat(),
        assessor_id="x",
        assessor_agency="education",
    )
    assert assessment.current.sealed_content is None


# --- what it says ----------------------------------------------------------------------------


def test_the_headings_are_the_assessment_frameworks_three_domains() -> None:
    assert len(ChildDevelopment) == 7 and len(ParentingCapacity) == 6
    assert len(FamilyEnvironment) == 7
    assert set(HEADINGS) == set(Domain)
    assert "emotional-and-behavioural-development" in {h.value for h in ChildDevelopment}
    assert "guidance-and-boundaries" in {h.value for h in ParentingCapacity}
    assert "community-resources" in {h.value for h in FamilyEnvironment}


def test_an_unknown_heading_or_part_is_refused_naming_it() -> None:
    with pytest.raises(UnknownHeading, match=r"^parenting_capacity\.cooking: not a heading"):
        Content.of({"parenting_capacity": {"cooking": {"needs": "x"}}})
    # a heading of another domain is not one of this domain's
    with pytest.raises(UnknownHeading, match=r"^child_development\.housing: not a heading"):
        Content.of({"child_development": {"housing": {"needs": "x"}}})
    with pytest.raises(UnknownHeading, match=r"^schooling: not a part of the assessment"):
        Content.of({"schooling": {}})


def test_content_round_trips_and_says_only_where_needs_were_recorded() -> None:
    content = Content.of(
        {
            "child_development": {"health": {"strengths": "active", "needs": "asthma"}},
            "family_and_environment": {"housing": {"strengths": "stable tenancy"}, "income": {}},
            "child_voice": "I like school",
        }
    )
    assert content.findings == {
        Domain.CHILD_DEVELOPMENT: {"health": Finding("active", "asthma")},
        Domain.FAMILY_AND_ENVIRONMENT: {"housing": Finding("stable tenancy", None)},
    }
    assert Content.of(content.plain()) == content
    needs = content.needs_recorded()
    assert needs[Domain.CHILD_DEVELOPMENT]["health"] is True
    assert needs[Domain.FAMILY_AND_ENVIRONMENT]["housing"] is False  # strengths only
    assert sum(len(h) for h in needs.values()) == 20  # every heading, each a boolean


def _largest(ch: str) -> dict[str, object]:
    every_heading_in_full = {
        d.value: {
            h.value: {"strengths": ch * HEADING_CHARS, "needs": ch * HEADING_CHARS}
            for h in headings
        }
        for d, headings in HEADINGS.items()
    }
    return {
        "assessed_on": "2026-11-20",
        **every_heading_in_full,
        **{v: ch * VIEW_CHARS for v in VIEWS},
    }


def test_the_largest_assessment_in_any_script_fits_its_request_body_allowance() -> None:
    # the worst case: a character outside the BMP, escaped (twelve bytes of JSON each)
    worst = len(json.dumps(_largest("\U0001f600"), ensure_ascii=True).encode())
    assert HTTP_BODY_BYTES < worst <= ASSESSMENT_BODY_BYTES


# --- over HTTP ---------------------------------------------------------------------------------

TODAY = today().isoformat()  # a review is on or after its authorisation, which is today
REFERRER = Caller.of("referrer-education", Role.REFERRER, "education")


def _panel() -> dict[str, str]:
    """A panel member sitting on the case's district and tier."""
    return auth(Role.PANEL_MEMBER, "social-care", districts=["harlow"], tiers=["maag"])


SECRET = "Quorrelby disclosed the rent arrears"  # distinctive: a leak is unmistakable
BODY: dict[str, Any] = {
    "assessed_on": "2026-11-20",
    "child_development": {
        "health": {"strengths": "swims weekly", "needs": f"asthma; {SECRET}"},
        "education": {"strengths": "reads well"},
    },
    "parenting_capacity": {"basic-care": {"needs": "meals irregular"}},
    "family_and_environment": {"housing": {"needs": "overcrowded flat"}},
    "child_voice": "I want my own room",
    "parents_view": "Mum says things are hard since the move",
    "analysis": "Needs across health and housing; a TAC is advised",
}


def _case(api: Api) -> str:
    """A referral of the referrer's agency, made as the submission command makes it."""
    referral, _ = api.app.handle(
        SubmitReferral(
            details=ReferralDetails.model_validate(details()),
            caller=REFERRER,
            correlation_id="assessment-test",
            idempotency_key=f"assessment-{uuid.uuid4().hex}",
        )
    )
    return str(referral.id)


def _record(api: Api, case_id: str, body: dict[str, Any], **who: Any) -> Any:
    return api.client.post(f"/referrals/{case_id}/assessment", json=body, headers=auth(**who))


def _act(api: Api, case_id: str, what: str, body: dict[str, Any], **who: Any) -> Any:
    return api.client.post(
        f"/referrals/{case_id}/assessment/{what}", json=body, headers=auth(**who)
    )


def test_an_assessment_is_recorded_authorised_reviewed_and_closed(api: Api) -> None:
    case_id = _case(api)
    r = _record(api, case_id, BODY)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["status"] == "draft" and first["current_version"] == 1
    (version,) = first["versions"]
    assert version["assessed_by"] == {
        "professional_id": "referrer-education",
        "agency": "education",
    }
    assert version["content"]["child_development"]["health"]["needs"] == f"asthma; {SECRET}"

    # the assessor may not authorise it; a manager (another person) authorises the version read
    r = _act(api, case_id, "authorisation", {"version": 1})
    assert r.status_code == 409 and r.json()["detail"].startswith("authorisation: the assessor")
    r = _act(api, case_id, "authorisation", {"version": 2}, user="mo-manager")
    assert r.status_code == 409 and r.json()["detail"].startswith("version: version 2 is not")
    r = _act(api, case_id, "authorisation", {"version": 1}, user="mo-manager")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "authorised"
    assert r.json()["versions"][0]["authorised"]["by"]["professional_id"] == "mo-manager"

    r = _act(api, case_id, "reviews", {"reviewed_on": TODAY, "note": "On track"})
    assert r.status_code == 200 and r.json()["status"] == "reviewed", r.text

    # a change after authorisation: a new draft, the authorised version kept as it was
    r = _record(api, case_id, {**BODY, "analysis": "Housing resolved"})
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["status"] == "draft" and view["current_version"] == 2
    assert [v["status"] for v in view["versions"]] == ["authorised", "draft"]
    assert view["versions"][0]["content"]["analysis"] == BODY["analysis"]
    assert view["reviews"][0]["note"] == "On track"

    r = _act(api, case_id, "closure", {"reason": "Family moved out of county"})
    assert r.status_code == 200 and r.json()["closure"]["reason"] == "Family moved out of county"
    r = _record(api, case_id, BODY)
    assert r.status_code == 409 and r.json()["detail"].startswith("assessment: the assessment was")
    assert (
        len(api.client.get(f"/referrals/{case_id}/assessment", headers=auth()).json()["versions"])
        == 2
    )


def test_an_unknown_heading_is_refused_naming_it_and_nothing_is_stored(api: Api) -> None:
    case_id = _case(api)
    r = _record(api, case_id, {**BODY, "parenting_capacity": {"cooking": {"needs": "x"}}})
    assert r.status_code == 422 and "body.parenting_capacity.cooking" in r.text
    r = _record(api, case_id, {**BODY, "assessed_on": "2999-01-01"})
    assert r.status_code == 422 and "assessed_on" in r.text
    r = api.client.get(f"/referrals/{case_id}/assessment", headers=auth())
    assert r.status_code == 404 and r.json()["detail"].startswith("assessment: case")


def test_the_panel_reads_a_summary_with_no_text_and_not_the_assessment(api: Api) -> None:
    case_id = _case(api)
    assert _record(api, case_id, BODY).status_code == 201
    assert _act(api, case_id, "authorisation", {"version": 1}, user="mo-manager").status_code == 200
    panel = _panel()
    r = api.client.get(f"/referrals/{case_id}/assessment/summary", headers=panel)
    assert r.status_code == 200, r.text
    summary = r.json()
    assert summary["status"] == "authorised" and summary["version"] == 1
    assert summary["assessed_on"] == "2026-11-20" and summary["authorised_on"] is not None
    needs = summary["needs_recorded"]
    assert needs["child_development"]["health"] is True
    assert needs["child_development"]["education"] is False  # strengths only
    assert needs["parenting_capacity"]["basic-care"] is True
    assert needs["family_and_environment"]["housing"] is True
    # no text: every value a date, a number, a status or a boolean
    for written in _texts(BODY):
        assert written not in r.text
    assert api.client.get(f"/referrals/{case_id}/assessment", headers=panel).status_code == 403
    r = api.client.post(
        f"/referrals/{case_id}/assessment/reviews",
        json={"reviewed_on": TODAY, "note": "x"},
        headers=panel,
    )
    assert r.status_code == 403


def test_someone_without_access_is_refused(api: Api) -> None:
    case_id = _case(api)
    assert _record(api, case_id, BODY).status_code == 201
    # another agency's referrer: no such case, to read or to change
    for r in (
        api.client.get(f"/referrals/{case_id}/assessment", headers=auth(agency="housing")),
        api.client.get(f"/referrals/{case_id}/assessment/summary", headers=auth(agency="housing")),
        _record(api, case_id, BODY, agency="housing"),
        _act(api, case_id, "authorisation", {"version": 1}, agency="housing", user="h-manager"),
    ):
        assert r.status_code == 404 and "case_id" in r.text
    # a panel member of another district
    other = auth(Role.PANEL_MEMBER, "social-care", districts=["tendring"], tiers=["maag"])
    assert (
        api.client.get(f"/referrals/{case_id}/assessment/summary", headers=other).status_code == 404
    )
    # an auditor reads the summary, never writes
    r = _record(api, case_id, BODY, role=Role.AUDITOR, agency="county-audit")
    assert r.status_code == 403


def test_erasure_takes_what_the_assessment_says_and_refuses_more(api: Api) -> None:
    case_id = _case(api)
    assert _record(api, case_id, BODY).status_code == 201
    assert _act(api, case_id, "authorisation", {"version": 1}, user="mo-manager").status_code == 200
    assert _act(api, case_id, "reviews", {"reviewed_on": TODAY, "note": SECRET}).status_code == 200
    r = api.client.post(
        f"/privacy/cases/{case_id}/erasure",
        json={"reason": "retention period ended"},
        headers=auth(Role.PRIVACY_OFFICER, "county-information-governance"),
    )
    assert r.status_code == 200, r.text
    view = api.client.get(f"/referrals/{case_id}/assessment", headers=auth()).json()
    assert view["versions"][0]["content"] is None and view["reviews"][0]["note"] is None
    assert view["status"] == "reviewed"  # where it stands, and when, remain
    panel = _panel()
    summary = api.client.get(f"/referrals/{case_id}/assessment/summary", headers=panel).json()
    assert summary["needs_recorded"] is None and summary["version"] == 1
    for r in (
        _record(api, case_id, BODY),
        _act(api, case_id, "reviews", {"reviewed_on": TODAY, "note": "x"}),
        _act(api, case_id, "closure", {"reason": "x"}),
    ):
        assert r.status_code == 409 and r.json()["detail"].startswith("case_id: case")


def _texts(body: Any) -> list[str]:
    """Every text written in an assessment's body (dates left out)."""
    if isinstance(body, dict):
        return [t for k, v in body.items() if k != "assessed_on" for t in _texts(v)]
    return [body] if isinstance(body, str) else []


def test_a_full_assessment_in_another_script_is_recorded_not_refused_as_too_large(
    api: Api,
) -> None:
    case_id = _case(api)
    body = _largest("ü")
    assert len(json.dumps(body).encode()) > HTTP_BODY_BYTES  # over the usual limit
    r = _record(api, case_id, body)
    assert r.status_code == 201, r.text[:300]
