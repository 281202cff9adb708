"""The panels' common rules: tiers and their thresholds, quorum. Pure."""

from __future__ import annotations

from contracts.reference import Panel

# Levels of need each tier is for; the same in every district.
THRESHOLDS: dict[Panel, tuple[int, int]] = {
    Panel.MAAG: (2, 3),
    Panel.EARP: (3, 4),
    Panel.JAP: (4, 4),
}
TIER_ORDER = [Panel.MAAG, Panel.EARP, Panel.JAP]


class PanelRuleBroken(Exception):
    """A decision the rules do not allow; the message says which rule and how to proceed."""


class NotAMember(Exception):
    """Someone who does not sit on a panel's constitution tried to act as its member (403)."""


def within_threshold(panel: Panel, level_of_need: int) -> bool:
    low, high = THRESHOLDS[panel]
    return low <= level_of_need <= high


def require_threshold_or_justification(
    panel: Panel, level_of_need: int, justification: str | None
) -> None:
    if within_threshold(panel, level_of_need) or (justification and justification.strip()):
        return
    low, high = THRESHOLDS[panel]
    band = f"{low}" if low == high else f"{low} to {high}"
    raise PanelRuleBroken(
        f"level of need {level_of_need} is outside the {panel.value.upper()} threshold ({band}): "
        "record a justification for deciding outside it"
    )


def escalation_allowed(from_panel: Panel, to_panel: Panel) -> bool:
    return TIER_ORDER.index(to_panel) > TIER_ORDER.index(from_panel)


def step_down_allowed(from_panel: Panel, to_panel: Panel) -> bool:
    return TIER_ORDER.index(to_panel) < TIER_ORDER.index(from_panel)
