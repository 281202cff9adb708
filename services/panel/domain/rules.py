"""The panels' common rules: tiers and their thresholds, what a package request must say at
each tier. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.events.base import FundingShare, FundingSplit
from contracts.reference import JAP_FUNDERS, AvoidedOutcome, Panel

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


def require_package_terms(
    panel: Panel, alternative_to: Sequence[AvoidedOutcome], funding_split: Sequence[FundingShare]
) -> FundingSplit:
    """What a package request must say at each tier; returns its split. The EARP's and JAP's
    packages are alternatives (to accommodation, exclusion, proceedings, out-of-county
    provision or hospital: `AvoidedOutcome`), so they name what they avoid; a MAAG's may
    name what it is there to prevent (early help: a child leaving home, losing a school
    place, or any of the others), counted apart from the alternatives.
    Only the JAP "agrees joint resource allocation", so only its packages carry a funding
    split, agreed for the case, by funders of the JAP (the split's own rules, each funder
    once and summing to 100, are `FundingSplit`'s). The tier's rules are asked first: a
    split the tier may not have at all is refused for that."""
    tier = panel.value.upper()
    if panel is not Panel.MAAG and not alternative_to:
        raise PanelRuleBroken(
            f"alternative_to: an {tier} package must name what it is an alternative to "
            f"({', '.join(o.value for o in AvoidedOutcome)})"
        )
    if panel is not Panel.JAP:
        if funding_split:
            raise PanelRuleBroken(
                f"funding_split: only the JAP agrees joint funding; an {tier} package is "
                "funded from its own budget"
            )
        return FundingSplit()
    if not funding_split:
        raise PanelRuleBroken(
            "funding_split: the JAP agrees each package's joint funding: give each funder's "
            f"share ({', '.join(JAP_FUNDERS)}), summing to 100"
        )
    if unknown := sorted({s.agency for s in funding_split} - set(JAP_FUNDERS)):
        raise PanelRuleBroken(
            f"funding_split: {', '.join(unknown)} do not fund JAP packages "
            f"(the funders are {', '.join(JAP_FUNDERS)})"
        )
    if broken := FundingSplit.broken_rule(funding_split):
        raise PanelRuleBroken(broken)
    return FundingSplit(tuple(funding_split))
