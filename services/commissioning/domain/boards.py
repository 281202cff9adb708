"""What the local Children's Trust Boards see: each area's referrals, how quickly they were
dealt with, what became of them, and what their packages did. Pure: the figures from the
facts the board projection keeps (`services.commissioning.adapters.boards`).

Referral figures (received, outcomes, timeliness, re-referrals) are of the referrals
received in the period (a re-referral: one whose child a person confirmed had been referred
before); moves, reviews and packages are those that happened in it; open cases are as the
projection stands (now). Timeliness is in whole days, from the referral's receipt to the
first listing at a panel, to the lead professional, to the first package commissioned;
the 90th percentile is the nearest-rank one.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from typing_extensions import TypedDict

from contracts.reference import BOARD_AREA_OF, QUADRANT_OF, ClosureOutcome, District
from services.commissioning.domain.savings import Cover, avoided_days

OUTCOMES = ("accepted", "declined", "redirected-to-social-care", "pending-consent")
MILESTONES = ("listed", "lead", "package")


class Grouping(StrEnum):
    BOARD_AREA = "board-area"
    QUADRANT = "quadrant"
    DISTRICT = "district"


def area_of(grouping: Grouping) -> Callable[[str], str]:
    if grouping is Grouping.BOARD_AREA:
        return lambda d: BOARD_AREA_OF[District(d)].value
    if grouping is Grouping.QUADRANT:
        return lambda d: QUADRANT_OF[District(d)].value
    return lambda d: d


@dataclass
class Case:
    """One referral as the boards count it."""

    case_id: str
    district: str
    received: datetime
    outcome: str | None = None
    reason: str | None = None
    level: int | None = None
    panel: str | None = None
    listed: datetime | None = None
    lead: datetime | None = None
    package: datetime | None = None
    closed: datetime | None = None
    joined: bool = False

    @property
    def open(self) -> bool:
        return self.outcome == "accepted" and self.closed is None and not self.joined


@dataclass(frozen=True)
class Fact:
    """Something that happened to a case: a move between tiers, a review, a package."""

    # escalated, stepped-down, reviewed, plan-reviewed, commissioned, decommissioned, closed,
    # re-referred
    kind: str
    case_id: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def percentile(values: Sequence[int], q: float) -> int | None:
    """The nearest-rank percentile (q in (0, 100]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def median(values: Sequence[int]) -> float | None:
    if not values:
        return None
    ordered, mid = sorted(values), len(values) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _within(at: datetime, first: date, last: date) -> bool:
    return first <= at.date() <= last


# --- the report, as it is answered ---

Referrals = TypedDict(
    "Referrals",
    {
        "received": int,
        "accepted": int,
        "declined": int,
        "redirected-to-social-care": int,
        "pending-consent": int,
        "awaiting_triage": int,
        "declined_by_reason": dict[str, int],
        "re_referrals": int,
        "re_referral_percent": float | None,
    },
)


class Timeliness(TypedDict):
    cases: int
    median: float | None
    p90: int | None


class Avoided(TypedDict):
    days: int
    children: int


class AreaFigures(TypedDict):
    referrals: Referrals
    days_from_referral: dict[str, Timeliness]  # by milestone
    open_cases_by_tier_and_level: dict[str, int]
    step_ups: int
    step_downs: int
    review_outcomes: dict[str, int]
    plan_reviews: int
    plan_goals_at_review: dict[str, int]
    packages_commissioned: int
    interventions_by_provider_and_service: dict[str, int]
    placements_avoided: dict[str, Avoided]  # by outcome: EARP and JAP alternatives
    prevented_by_maag: dict[str, Avoided]  # by outcome: what MAAG packages prevent, apart
    closures: int
    outcomes_at_closure: dict[str, int]  # where the children stood (ClosureOutcome)


BoardReport = TypedDict(
    "BoardReport",
    {"from": str, "to": str, "grouping": str, "areas": dict[str, AreaFigures]},
)


class BoardRow(TypedDict):
    area: str
    figure: str
    value: object


@dataclass
class _Tally:
    """One area's counts while the report is made."""

    received: int = 0
    re_referrals: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    declined_by_reason: Counter[str] = field(default_factory=Counter)
    days: dict[str, list[int]] = field(default_factory=lambda: {m: [] for m in MILESTONES})
    open_cases: Counter[str] = field(default_factory=Counter)
    moves: Counter[str] = field(default_factory=Counter)
    reviews: Counter[str] = field(default_factory=Counter)
    plan_reviews: int = 0
    plan_goals: Counter[str] = field(default_factory=Counter)
    packages: int = 0
    interventions: Counter[str] = field(default_factory=Counter)
    avoided_days: Counter[str] = field(default_factory=Counter)
    avoided_children: dict[str, set[str]] = field(default_factory=dict)
    prevented_days: Counter[str] = field(default_factory=Counter)
    closures: int = 0
    closure_outcomes: Counter[str] = field(default_factory=Counter)
    prevented_children: dict[str, set[str]] = field(default_factory=dict)

    def add(self, other: _Tally) -> None:
        """Sum `other` into this tally (Counter.update, unlike +, keeps zero counts)."""
        self.received += other.received
        self.re_referrals += other.re_referrals
        self.plan_reviews += other.plan_reviews
        self.packages += other.packages
        self.closures += other.closures
        for mine, theirs in (
            (self.outcomes, other.outcomes),
            (self.declined_by_reason, other.declined_by_reason),
            (self.open_cases, other.open_cases),
            (self.moves, other.moves),
            (self.reviews, other.reviews),
            (self.plan_goals, other.plan_goals),
            (self.interventions, other.interventions),
            (self.avoided_days, other.avoided_days),
            (self.prevented_days, other.prevented_days),
            (self.closure_outcomes, other.closure_outcomes),
        ):
            mine.update(theirs)
        for name, days in other.days.items():
            self.days[name].extend(days)
        for children, theirs_children in (
            (self.avoided_children, other.avoided_children),
            (self.prevented_children, other.prevented_children),
        ):
            for outcome, ids in theirs_children.items():
                children.setdefault(outcome, set()).update(ids)


class _Areas:
    """The tallies of each district while the report is made; an area's, and the county's,
    are its districts' summed at the end (one tally touched per case and fact, not two)."""

    def __init__(self) -> None:
        self.districts: dict[str, _Tally] = {}

    def of(self, district: str) -> _Tally:
        tally = self.districts.get(district)
        if tally is None:
            tally = self.districts[district] = _Tally()
        return tally

    def grouped(self, grouping: Grouping) -> dict[str, _Tally]:
        """Each area's tally, and the county's, of the districts counted."""
        group = area_of(grouping)
        out: dict[str, _Tally] = {}
        for district, tally in self.districts.items():
            for name in (group(district), "county"):
                if name not in out:
                    out[name] = _Tally()
                out[name].add(tally)
        return out


def report(
    cases: Iterable[Case],
    facts: Iterable[Fact],
    first: date,
    last: date,
    grouping: Grouping = Grouping.BOARD_AREA,
) -> BoardReport:
    """Each area's figures for the period [first, last], and the county's."""
    by_case = {c.case_id: c for c in cases}
    facts = list(facts)
    areas = _Areas()
    re_referred = {f.case_id for f in facts if f.kind == "re-referred"}
    _count_cases(areas, by_case.values(), re_referred, first, last)
    alternatives, preventions = _count_facts(areas, by_case, facts, first, last)
    for covers, prevented in ((alternatives, False), (preventions, True)):
        for cover, days in avoided_days(covers, first, last).items():
            if days:
                a = areas.of(by_case[cover.case_id].district)
                tally, children = (
                    (a.prevented_days, a.prevented_children)
                    if prevented
                    else (a.avoided_days, a.avoided_children)
                )
                tally[cover.outcome] += days
                children.setdefault(cover.outcome, set()).add(cover.case_id)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "grouping": grouping.value,
        "areas": {name: _figures(a) for name, a in sorted(areas.grouped(grouping).items())},
    }


def _count_cases(
    areas: _Areas, cases: Iterable[Case], re_referred: set[str], first: date, last: date
) -> None:
    """Open cases as they stand; referrals received in the period, their timeliness, and
    those whose child had been referred before (`re_referred`, whenever confirmed)."""
    # a district's cases at a time, each figure counted in one pass (Counter.update)
    by_district: defaultdict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_district[c.district].append(c)
    for district, group in by_district.items():
        a = areas.of(district)
        a.open_cases.update(f"{c.panel}/level-{c.level}" for c in group if c.open)
        received = [c for c in group if _within(c.received, first, last)]
        a.received += len(received)
        a.re_referrals += sum(c.case_id in re_referred for c in received)
        a.outcomes.update(c.outcome or "received" for c in received)
        a.declined_by_reason.update(c.reason or "" for c in received if c.outcome == "declined")
        for name in MILESTONES:
            a.days[name] += [
                max(0, (end - c.received).days)  # whole days, none when before receipt
                for c in received
                if (end := getattr(c, name)) is not None
            ]


def _count_facts(
    areas: _Areas, by_case: dict[str, Case], facts: Iterable[Fact], first: date, last: date
) -> tuple[list[Cover], list[Cover]]:
    """Moves, reviews and packages in the period; what each package covers (whenever it
    started: its days within the period count): the EARP's and JAP's alternatives, and
    what MAAG packages are there to prevent, apart."""
    starts: list[Cover] = []
    prevents: set[str] = set()  # MAAG packages
    ended: dict[str, date] = {}
    packages: set[str] = set()
    for f in sorted(facts, key=lambda f: f.at):
        case = by_case.get(f.case_id)
        if case is None:
            continue  # a case the referral topic has not told of (not yet, or not ours)
        if f.kind == "commissioned":
            if f.detail["package_id"] in packages:
                continue  # recommissioned: a package counts once, when first commissioned
            packages.add(f.detail["package_id"])
            if f.detail.get("panel") == "maag":
                prevents.add(f.detail["package_id"])
            for outcome in f.detail.get("alternative_to", []):
                starts.append(
                    Cover(
                        f.case_id,
                        outcome,
                        f.detail["package_id"],
                        date.fromisoformat(f.detail["starts_on"]),
                        None,
                    )
                )
        if f.kind == "decommissioned":
            # active until the day before (as the savings report counts it)
            ended[f.detail["package_id"]] = date.fromisoformat(
                f.detail["effective_from"]
            ) - timedelta(days=1)
        if _within(f.at, first, last):
            _count(areas.of(case.district), f)
    covers = [
        Cover(c.case_id, c.outcome, c.package_id, c.start, ended.get(c.package_id)) for c in starts
    ]
    return (
        [c for c in covers if c.package_id not in prevents],
        [c for c in covers if c.package_id in prevents],
    )


def _count(a: _Tally, f: Fact) -> None:
    if f.kind in ("escalated", "stepped-down"):
        a.moves[f.kind] += 1
    elif f.kind == "reviewed":
        a.reviews[f.detail["goals"]] += 1
    elif f.kind == "plan-reviewed":
        a.plan_reviews += 1
        for goals, n in f.detail.items():
            a.plan_goals[goals] += n
    elif f.kind == "closed":
        a.closures += 1
        for outcome in f.detail.get("outcomes", []):
            a.closure_outcomes[outcome] += 1
    elif f.kind == "commissioned":
        a.packages += 1
        for i in f.detail.get("interventions", []):
            a.interventions[f"{i['provider_id']}/{i['service']}"] += 1


def _figures(a: _Tally) -> AreaFigures:
    for days in a.days.values():
        days.sort()  # once: median's and percentile's own sorts then cost little
    return {
        "referrals": {
            "received": a.received,
            "accepted": a.outcomes["accepted"],
            "declined": a.outcomes["declined"],
            "redirected-to-social-care": a.outcomes["redirected-to-social-care"],
            "pending-consent": a.outcomes["pending-consent"],
            "awaiting_triage": a.outcomes["received"],
            "declined_by_reason": dict(sorted(a.declined_by_reason.items())),
            "re_referrals": a.re_referrals,
            "re_referral_percent": (
                round(100 * a.re_referrals / a.received, 1) if a.received else None
            ),
        },
        "days_from_referral": {
            m: Timeliness(
                cases=len(a.days[m]), median=median(a.days[m]), p90=percentile(a.days[m], 90)
            )
            for m in MILESTONES
        },
        "open_cases_by_tier_and_level": dict(sorted(a.open_cases.items())),
        "step_ups": a.moves["escalated"],
        "step_downs": a.moves["stepped-down"],
        "review_outcomes": {g: a.reviews[g] for g in ("met", "partly", "not-met")},
        "plan_reviews": a.plan_reviews,
        "plan_goals_at_review": {g: a.plan_goals[g] for g in ("met", "partly", "not-met")},
        "packages_commissioned": a.packages,
        "interventions_by_provider_and_service": dict(sorted(a.interventions.items())),
        "placements_avoided": {
            outcome: Avoided(days=days, children=len(a.avoided_children[outcome]))
            for outcome, days in sorted(a.avoided_days.items())
        },
        "closures": a.closures,
        "outcomes_at_closure": {o.value: a.closure_outcomes[o.value] for o in ClosureOutcome},
        "prevented_by_maag": {
            outcome: Avoided(days=days, children=len(a.prevented_children[outcome]))
            for outcome, days in sorted(a.prevented_days.items())
        },
    }


def rows(found: BoardReport) -> list[BoardRow]:
    """The report flattened for a spreadsheet: one row per area and figure."""
    out: list[BoardRow] = []

    def walk(area: str, prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(area, f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            out.append(BoardRow(area=area, figure=prefix, value="" if value is None else value))

    for area, figures in found["areas"].items():
        walk(area, "", figures)
    return out
