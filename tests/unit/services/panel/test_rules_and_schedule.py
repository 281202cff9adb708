"""Common thresholds, tier moves, what a package request says at each tier (and its funding
split), and the meeting schedule (quorum: test_constitution.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from contracts.events.base import FundingShare, FundingSplit, check_split
from contracts.reference import AvoidedOutcome, District, Panel
from services.panel.domain.rules import (
    PanelRuleBroken,
    escalation_allowed,
    require_package_terms,
    require_threshold_or_justification,
    step_down_allowed,
)
from services.panel.domain.schedule import LOCAL, PanelRef, meeting_id, next_meeting


@pytest.mark.parametrize(
    ("panel", "level", "ok"),
    [
        (Panel.MAAG, 2, True),
        (Panel.MAAG, 3, True),
        (Panel.MAAG, 4, False),
        (Panel.MAAG, 1, False),
        (Panel.EARP, 3, True),
        (Panel.EARP, 2, False),
        (Panel.JAP, 4, True),
        (Panel.JAP, 3, False),
    ],
)
def test_thresholds_are_common(panel: Panel, level: int, ok: bool) -> None:
    if ok:
        require_threshold_or_justification(panel, level, None)
    else:
        with pytest.raises(
            PanelRuleBroken,
            match=f"level of need {level} is outside the {panel.value.upper()} threshold",
        ):
            require_threshold_or_justification(panel, level, None)
        require_threshold_or_justification(panel, level, "exceptional: sibling already at JAP")


def test_a_blank_justification_is_no_justification() -> None:
    with pytest.raises(PanelRuleBroken):
        require_threshold_or_justification(Panel.JAP, 2, "   ")


def test_escalation_goes_up_and_step_down_goes_down() -> None:
    assert escalation_allowed(Panel.MAAG, Panel.EARP) and escalation_allowed(Panel.EARP, Panel.JAP)
    assert not escalation_allowed(Panel.JAP, Panel.EARP)
    assert step_down_allowed(Panel.JAP, Panel.MAAG) and not step_down_allowed(
        Panel.MAAG, Panel.EARP
    )


def test_district_maags_meet_on_tuesdays_and_the_jap_on_the_first_thursday() -> None:
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=LOCAL)
    maag = next_meeting(PanelRef(Panel.MAAG, District.HARLOW), friday)
    assert (maag.date().isoformat(), maag.hour) == ("2026-12-01", 10)
    earp = next_meeting(PanelRef(Panel.EARP), friday)
    assert earp.date().isoformat() == "2026-12-02" and earp.hour == 14
    jap = next_meeting(PanelRef(Panel.JAP), friday)
    assert jap.date().isoformat() == "2026-12-03"
    tuesday_morning = datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL)
    assert next_meeting(PanelRef(Panel.MAAG, District.HARLOW), tuesday_morning) == maag


def test_a_meeting_id_names_one_meeting() -> None:
    ref = PanelRef(Panel.MAAG, District.BASILDON)
    at = datetime(2026, 12, 1, 10, tzinfo=LOCAL)
    assert meeting_id(ref, at) == meeting_id(ref, at)
    assert meeting_id(ref, at) != meeting_id(PanelRef(Panel.MAAG, District.HARLOW), at)


def test_a_maag_needs_a_district_and_the_county_panels_do_not() -> None:
    with pytest.raises(ValueError, match="a MAAG belongs to a district"):
        PanelRef(Panel.MAAG)
    with pytest.raises(ValueError):
        PanelRef(Panel.EARP, District.HARLOW)


def test_a_funding_split_holds_each_funder_once_its_shares_summing_to_100() -> None:
    split = FundingSplit.of([("childrens-services", 60), ("pct", 40)])
    assert split.agencies == ("childrens-services", "pct") and len(split) == 2
    # stored events keep it as pairs; published events as shares
    assert split.stored() == [["childrens-services", 60], ["pct", 40]]
    assert FundingSplit.of(split.stored()) == split == FundingSplit.of(list(split))
    assert not FundingSplit() and FundingSplit.of([]) == FundingSplit()
    with pytest.raises(ValueError, match="funding_split: each funder appears once"):
        FundingSplit.of([("pct", 50), ("pct", 50)])
    with pytest.raises(ValueError, match="funding_split: the shares sum to 90, not 100"):
        FundingSplit.of([("pct", 50), ("adult-transition", 40)])


def test_a_published_split_is_held_to_the_rule_its_schema_states() -> None:
    # The schema says the shares sum to 100 (x-maag-percent-sum); that each funder appears
    # once is the producer's rule (a FundingSplit), which the schema cannot say.
    twice = [FundingShare(agency="pct", percent=50), FundingShare(agency="pct", percent=50)]
    check_split(twice)
    with pytest.raises(ValueError, match="sum to 90"):
        check_split([twice[0], FundingShare(agency="x", percent=40)])


@pytest.mark.parametrize(
    ("panel", "alternative_to", "shares", "refusal"),
    [
        (Panel.MAAG, [], [("pct", 100)], "only the JAP agrees"),
        (Panel.EARP, [], [], "alternative_to: an EARP package must name"),
        (Panel.EARP, [AvoidedOutcome.HOSPITAL], [("pct", 100)], "only the JAP agrees"),
        (Panel.JAP, [AvoidedOutcome.HOSPITAL], [], "the JAP agrees each package's joint"),
        (Panel.JAP, [AvoidedOutcome.HOSPITAL], [("police", 100)], "police do not fund JAP"),
        # the tier's rules first: a split the EARP may not have is refused for that
        (Panel.EARP, [AvoidedOutcome.HOSPITAL], [("pct", 90)], "only the JAP agrees"),
        (Panel.JAP, [AvoidedOutcome.HOSPITAL], [("pct", 90)], "the shares sum to 90, not 100"),
    ],
)
def test_a_package_request_says_what_its_tier_requires(
    panel: Panel, alternative_to: list[AvoidedOutcome], shares: list[tuple[str, int]], refusal: str
) -> None:
    given = [FundingShare(agency=a, percent=p) for a, p in shares]
    with pytest.raises(PanelRuleBroken, match=refusal):
        require_package_terms(panel, alternative_to, given)


def test_a_package_request_that_says_what_its_tier_requires_gives_its_split() -> None:
    hospital = [AvoidedOutcome.HOSPITAL]
    assert require_package_terms(Panel.MAAG, [], []) == FundingSplit()
    # a MAAG package may name what it is there to prevent
    prevents = [AvoidedOutcome.LEAVING_HOME, AvoidedOutcome.LOSS_OF_SCHOOL_PLACE]
    assert require_package_terms(Panel.MAAG, prevents, []) == FundingSplit()
    assert require_package_terms(Panel.EARP, hospital, []) == FundingSplit()
    shares = [FundingShare(agency="childrens-services", percent=70)]
    shares.append(FundingShare(agency="pct", percent=30))
    assert require_package_terms(Panel.JAP, hospital, shares) == FundingSplit(tuple(shares))
