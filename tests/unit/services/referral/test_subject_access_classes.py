"""Subject access withholds other people's details by their declared class, whichever
service's event holds them: the plan's members, action owners and family-meeting
attendees included (they went out unredacted while a list of names decided it)."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from contracts.classification import DataClass
from maag.runtime.evidence.timeline import describe
from services.panel.audit import AUDIT as PANEL
from services.panel.domain.plan import Plan
from services.referral.application.queries import subject_access
from services.referral.application.queries.subject_access import REDACTED, _entry
from services.referral.domain.values import LeadProfessional, SafeguardingBasis, Submitted


def stored(event_class: Any, **attributes: Any) -> Any:
    """An event as the store would build it."""
    return event_class(
        originator_id=uuid.uuid4(),
        originator_version=2,
        timestamp=datetime.now(UTC),
        **attributes,
    )


def exported(event: Any) -> dict[str, Any]:
    entry = describe("panel", uuid.uuid4(), event, PANEL).to_json()
    details: dict[str, Any] = _entry(entry).model_dump(mode="json")["details"]
    return details


def test_a_team_member_added_to_the_plan_is_withheld() -> None:
    details = exported(
        stored(
            Plan.MemberAdded,
            member_id="hv-17",
            name="Pat Visitor",
            organisation="health",
            role="health visitor",
        )
    )
    assert details["member_id"] == REDACTED and details["name"] == REDACTED
    assert details["organisation"] == "health" and details["role"] == "health visitor"


def test_an_actions_owner_is_withheld() -> None:
    details = exported(
        stored(
            Plan.ActionAgreed,
            action_id="a1",
            goal_id="g1",
            text="attend the weekly group",
            owner="hv-17",
            due_on="2027-02-01",
            intervention=None,
        )
    )
    assert details["owner"] == REDACTED and details["due_on"] == "2027-02-01"


def test_who_attended_a_family_meeting_is_withheld() -> None:
    details = exported(
        stored(
            Plan.FamilyMeetingHeld,
            held_on="2027-01-10",
            attended=["hv-17", "family"],
            consent_reconfirmed=True,
            summary="agreed the plan",
        )
    )
    assert details["attended"] == REDACTED and details["held_on"] == "2027-01-10"
    assert "hv-17" not in repr(details)


def test_every_field_of_the_referral_part_has_the_class_of_what_recorded_it() -> None:
    """The referral part's people are redacted by the classes of the submission and the
    events that recorded them: a field none of them classes would go out unjudged."""
    parts = (
        (Submitted, subject_access._SUBMITTED),
        (SafeguardingBasis, subject_access._SAFEGUARDING_BASIS),
        (LeadProfessional, subject_access._LEAD),
    )
    for value, classes in parts:
        assert {f.name for f in fields(value)} <= classes.keys(), value.__name__
    assert {"user_id", "role", "agency"} <= subject_access._AUTHOR.keys()  # a note's author
    assert subject_access._AUTHOR["user_id"] == DataClass.THIRD_PARTY
    assert subject_access._SUBMITTED["referring_professional_id"] == DataClass.THIRD_PARTY
    assert subject_access._LEAD["professional_id"] == DataClass.THIRD_PARTY
