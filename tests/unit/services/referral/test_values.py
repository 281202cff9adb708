"""The referral's facts as values: each rule once, on its value; stored details of every
version read back; every message the submissions decoder makes has its policy."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.events.referral import ReferralDetails
from contracts.reference import Agency, District, LevelOfNeed
from services.referral.adapters.inbound import PANEL_EVENTS, SUBMISSIONS
from services.referral.application.submissions import InvalidSubmission, ValidSubmission, problem
from services.referral.domain.values import (
    LegalHold,
    Match,
    MatchStatus,
    Offer,
    ReferralConflict,
    Submitted,
)
from tests.support.referral import details

TODAY = date(2026, 11, 27)


def test_a_legal_hold_lasts_until_its_last_day_and_is_never_placed_in_the_past() -> None:
    hold = LegalHold("a claim", TODAY)
    assert hold.in_force(TODAY) and not hold.in_force(date(2026, 11, 28))
    hold.check_placed(TODAY)
    with pytest.raises(ReferralConflict, match="until today or later"):
        LegalHold("a claim", date(2026, 11, 26)).check_placed(TODAY)


def test_an_offer_keeps_its_stored_form_and_a_decision_its_offer() -> None:
    offer = Offer(uuid.uuid4(), (uuid.uuid4(), uuid.uuid4()), ("given", "family"))
    assert Offer.stored(offer.to_json()) == offer
    match = Match(offer)
    assert match.status is MatchStatus.OFFERED
    assert match.decided(True) == Match(offer, MatchStatus.CONFIRMED)
    assert match.decided(False).status is MatchStatus.REJECTED


def test_submitted_details_of_every_version_read_back() -> None:
    submitted = ReferralDetails(**details())
    assert Submitted.of(submitted).referring_agency is Agency.EDUCATION
    # before services and the transition basis were asked for, and without consent
    stored = submitted.model_dump(mode="json", exclude={"child"})
    for later in ("services_requested", "transition_basis", "consent"):
        stored.pop(later)
    found = Submitted.stored(stored)
    assert (found.district, found.level_of_need) == (District.HARLOW, LevelOfNeed.INTENSIVE)
    assert found.services_requested == () and found.transition_basis is None
    assert found.consent is None


def test_each_kind_of_message_has_its_policy() -> None:
    assert set(SUBMISSIONS) == {ValidSubmission, InvalidSubmission}
    assert all(callable(p) for p in [*SUBMISSIONS.values(), *PANEL_EVENTS.values()])


def test_a_problem_is_cut_to_what_a_rejection_carries() -> None:
    found = problem("x" * 1000, "y" * 10_000)
    assert found.field and found.reason and len(found.reason) < 10_000
    assert problem("", "why").field == "(submission)"
