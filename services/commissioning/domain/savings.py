"""What EARP and JAP packages avoid, and what that is worth over a period. Pure.

A package names the outcomes it is an alternative to (`AvoidedOutcome`). A case's outcome
counts as avoided on each day a package naming it is active, once however many packages
name it on that day (the first of them, by start, is credited: its panel and district).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.reference import AvoidedOutcome

# Annual cost of each outcome, in pence, when the deployment does not set it
# (MAAG_AVOIDED_ANNUAL_COST_PENCE). Only figures with a published source have a default; the
# county sets the others, and until it does the report lists them as unpriced rather than
# guessing. The case study's £650k a year and £3.1m over five years are the county's
# projections of the whole redesign, not costs of an outcome, and are not used.
DEFAULT_ANNUAL_COST_PENCE: dict[str, int] = {
    # "around £3,000" per resident week in a local authority children's home, x 52:
    # Department for Education, written answer to parliamentary question 49075 (2016).
    AvoidedOutcome.ACCOMMODATION.value: 15_600_000,
    # £76,000 a year for a place in a Young Offender Institution, the least costly youth
    # custody: Children's Commissioner for England, "Who are they? Where are they?" (2019).
    AvoidedOutcome.CRIMINAL_JUSTICE.value: 7_600_000,
}


def annual_costs(overrides: Mapping[str, int]) -> dict[str, int]:
    return {**DEFAULT_ANNUAL_COST_PENCE, **overrides}


@dataclass(frozen=True)
class Cover:
    """A package active from `start` to `end` (both included; open when None) for one
    outcome of one case."""

    case_id: str
    outcome: str
    package_id: str
    start: date
    end: date | None


def avoided_days(covers: Iterable[Cover], first: date, last: date) -> dict[Cover, int]:
    """Days within [first, last] each cover is credited with: the days no earlier-starting
    cover of the same case and outcome already counts."""
    by_outcome: dict[tuple[str, str], list[Cover]] = {}
    for cover in covers:
        by_outcome.setdefault((cover.case_id, cover.outcome), []).append(cover)
    credited: dict[Cover, int] = {}
    for group in by_outcome.values():
        counted_to = first - timedelta(days=1)  # the last day already counted
        for cover in sorted(group, key=lambda c: (c.start, c.package_id)):
            begin = max(cover.start, first, counted_to + timedelta(days=1))
            finish = min(cover.end or last, last)
            days = max(0, (finish - begin).days + 1)
            credited[cover] = days
            if days:
                counted_to = finish
    return credited


def worth(annual_pence: int, days: int) -> int:
    """An annual cost for `days` days."""
    return round(annual_pence * days / 365)
