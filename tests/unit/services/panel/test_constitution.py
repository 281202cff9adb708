"""Each tier is formed, and quorate, as the county describes it (the sentence is in
services/panel/domain/constitution.py beside each)."""

from __future__ import annotations

import pytest

from contracts.reference import Panel, Position
from services.panel.domain.constitution import CONSTITUTIONS

P, H, C = Position.PRACTITIONER, Position.HEAD_OF_SERVICE, Position.COMMISSIONER
MAAG, EARP, JAP = (CONSTITUTIONS[p] for p in (Panel.MAAG, Panel.EARP, Panel.JAP))


def test_a_maag_needs_social_care_and_enough_other_member_agencies() -> None:
    present = [("social-care", P), ("education", P), ("camhs", P), ("police", P)]
    assert MAAG.missing(present, 3) == []
    assert MAAG.missing(present[1:], 3) == ["children's social care"]
    assert MAAG.missing(present[:2], 3) == ["2 more agencies besides social care (1 of 3 present)"]
    assert MAAG.missing(present[:3], 3) == ["1 more agency besides social care (2 of 3 present)"]


def test_an_earp_of_scf_commissioners_and_heads_of_service_is_quorate() -> None:
    assert EARP.missing([("childrens-services", C), ("childrens-services", H)], 3) == []
    assert EARP.missing([("childrens-services", C), ("social-care", H)], 3) == []


def test_an_earp_without_its_head_of_service_is_not_and_says_who_is_missing() -> None:
    assert EARP.missing([("childrens-services", C)], 3) == ["an SCF head of service"]
    # police and education practitioners are not the EARP, however many attend
    crowd = [("police", P), ("education", P), ("social-care", P), ("camhs", P)]
    assert EARP.missing(crowd, 3) == ["an SCF commissioner", "an SCF head of service"]


def test_a_jap_of_scf_the_pct_and_adult_transition_is_quorate() -> None:
    present = [("childrens-services", H), ("pct", C), ("adult-transition", H)]
    assert JAP.missing(present, 3) == []


def test_a_jap_without_the_pct_is_not_and_says_so() -> None:
    present = [("childrens-services", C), ("adult-transition", H)]
    assert JAP.missing(present, 3) == ["a PCT children's commissioner"]


@pytest.mark.parametrize(
    ("panel", "organisation", "position", "sits"),
    [
        (Panel.MAAG, "police", P, True),
        (Panel.MAAG, "pct", C, False),  # the PCT's commissioners sit on the JAP
        (Panel.MAAG, "adult-transition", H, False),  # not among the MAAG's agencies
        (Panel.EARP, "childrens-services", H, True),
        (Panel.EARP, "social-care", P, False),  # a practitioner, not a head of service
        (Panel.EARP, "police", H, False),
        (Panel.JAP, "pct", C, True),
        (Panel.JAP, "pct", H, False),
        (Panel.JAP, "adult-transition", C, True),
        (Panel.JAP, "education", P, False),
    ],
)
def test_who_may_sit(panel: Panel, organisation: str, position: Position, sits: bool) -> None:
    assert CONSTITUTIONS[panel].may_sit(organisation, position) is sits


def test_every_tier_cites_its_source() -> None:
    assert all("(scrutiny review, 2010)" in c.source for c in CONSTITUTIONS.values())
