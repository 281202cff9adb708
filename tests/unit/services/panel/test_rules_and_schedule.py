"""Common thresholds, tier moves and the meeting schedule (quorum: test_constitution.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from contracts.reference import District, Panel
from services.panel.domain.rules import (
    PanelRuleBroken,
    escalation_allowed,
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
