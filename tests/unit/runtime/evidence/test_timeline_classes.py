"""The audit replay withholds identifying and special-category values by the class their
event declares: the consent's wording and the plan's text included, not only the child's
details a list once named; what was decided, and who decided it, stay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from contracts.classification import DataClass
from maag.runtime.evidence.timeline import Entry, describe
from maag.runtime.spec import AuditSpec
from services.panel.audit import AUDIT as PANEL
from services.panel.domain.plan import Plan
from services.referral.audit import AUDIT as REFERRAL
from services.referral.domain.referral import Referral


def stored(event_class: Any, **attributes: Any) -> Any:
    return event_class(
        originator_id=uuid.uuid4(),
        originator_version=2,
        timestamp=datetime.now(UTC),
        **attributes,
    )


def test_the_consents_wording_is_withheld_and_its_scope_kept() -> None:
    event = stored(
        Referral.ConsentRecorded,
        given_by="parent-carer",
        scope=["education"],
        given_on="2027-01-02",
        how_obtained="verbally from mother Jane Example",
        given_by_name="Jane Example",
    )
    e = describe("referral", uuid.uuid4(), event, REFERRAL)
    assert e.details["how_obtained"] == "[withheld: special-category]"
    assert e.details["given_by_name"] == "[withheld: identifying]"
    assert e.details["scope"] == ["education"] and e.details["given_on"] == "2027-01-02"
    assert "Jane" not in repr(e.to_json())
    assert e.classes["how_obtained"] == "special-category"
    assert Entry.from_json(e.to_json()) == e


def test_the_plans_text_is_withheld_and_a_withheld_reason_is_no_basis() -> None:
    goal = stored(Plan.GoalSet, goal_id="g1", need_id="n1", text="Sam sleeps through")
    e = describe("panel", uuid.uuid4(), goal, PANEL)
    assert e.details["text"].startswith("[withheld") and e.details["goal_id"] == "g1"
    withdrawn = stored(
        Referral.ConsentWithdrawn,
        withdrawn_on="2027-01-03",
        reason="father objects after the hospital visit",
        basis_remains=False,
    )
    w = describe("referral", uuid.uuid4(), withdrawn, REFERRAL)
    assert w.basis == "[withheld: special-category]" and "hospital" not in repr(w.to_json())


def test_a_service_words_what_stands_in_a_withheld_values_place() -> None:
    worded = AuditSpec(withheld_as={"text": "[withheld: the plan's own words]"})
    assert worded.withheld("text", DataClass.SPECIAL_CATEGORY) == "[withheld: the plan's own words]"
    assert worded.withheld("child_id", DataClass.IDENTIFYING) == "[withheld: identifying]"
    assert worded.withheld("owner", DataClass.THIRD_PARTY) is None  # an auditor sees it
    assert worded.withheld("goal_id", None) is None


def test_to_someone_who_may_read_the_child_only_the_sealed_details_are_withheld() -> None:
    """The case's chronology: a reader of the child sees the consent's wording and the
    child's links, but never the stored (sealed) details, which they read decrypted."""
    consent = stored(
        Referral.ConsentRecorded,
        given_by="parent-carer",
        scope=["education"],
        given_on="2027-01-02",
        how_obtained="verbally from mother",
        given_by_name=None,
    )
    shown = describe("referral", uuid.uuid4(), consent, REFERRAL, to_reader=True)
    assert shown.details["how_obtained"] == "verbally from mother"
    received = Referral(
        case_id=uuid.uuid4(),
        details={"caf_reference": "CAF-2010-000123"},
        fingerprint="f",
        channel="http",
        sealed_child="c2VhbGVk",
    )
    (event,) = received.collect_events()
    r = describe("referral", uuid.uuid4(), event, REFERRAL, to_reader=True)
    assert r.details["sealed_child"].startswith("[withheld")
    assert r.details["details"].startswith("[withheld") and r.details["fingerprint"] == "[withheld]"
