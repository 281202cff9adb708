"""Commissioning rules: what a package costs in each financial year, allocation to
providers, the budgets a package is charged to and the years they may be set for. Pure
functions; money in whole pence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.reference import Panel, financial_year, fy_bounds, fy_label, settable_years
from services.commissioning.domain.values import (
    Charge,
    FundingSplit,
    Intervention,
    Line,
    RefusalReason,
    Remedy,
)


class CommissioningRefused(Exception):
    """A package cannot be commissioned; `reason` is a short code, the message says why."""

    def __init__(self, reason: RefusalReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def weeks(start: date, end: date) -> float:
    return max(0.0, ((end - start).days + 1) / 7)


def cost_between(weekly_pence: int, start: date, end: date | None, first: date, last: date) -> int:
    """What a package (or one of its lines) costs from `first` to `last`, both included,
    while it runs from `start` to `end` (open when None)."""
    begin, finish = max(start, first), min(end or last, last)
    return round(weekly_pence * weeks(begin, finish)) if finish >= begin else 0


def committed_in_fy(weekly_pence: int, start: date, end: date | None, fy: int) -> int:
    """What a package costs within financial year `fy`, from its start to its end (or the
    year's end when it has none)."""
    return cost_between(weekly_pence, start, end, *fy_bounds(fy))


def units_of(intervention: Intervention) -> float:
    """Hours, or sessions, a week; a placement without either takes one place."""
    return float(intervention.hours_per_week or intervention.sessions_per_week or 1)


@dataclass(frozen=True)
class ProviderOffer:
    provider_id: str
    services: frozenset[str]
    districts: frozenset[str]  # empty: county-wide
    free_units: float
    unit_cost_pence: int


def allocate(
    interventions: Sequence[Intervention], offers: Iterable[ProviderOffer], district: str
) -> list[Line]:
    """Each intervention from its preferred provider if it has room, else the cheapest that
    does; refused when none has. Capacity taken by earlier lines counts for later ones."""
    free = {o.provider_id: o.free_units for o in offers}
    by_id = {o.provider_id: o for o in offers}
    lines = []
    for i in interventions:
        service, units = i.service.strip().lower(), units_of(i)
        fits = [
            o
            for o in by_id.values()
            if service in o.services
            and (not o.districts or district in o.districts)
            and free[o.provider_id] >= units
        ]
        if not fits:
            raise CommissioningRefused(
                RefusalReason.NO_CAPACITY,
                f"no provider has {units:g} units a week of {i.service!r} free in {district}",
            )
        preferred = [o for o in fits if o.provider_id == i.preferred_provider_id]
        chosen = (
            preferred[0]
            if preferred
            else min(fits, key=lambda o: (o.unit_cost_pence, o.provider_id))
        )
        free[chosen.provider_id] -= units
        lines.append(
            Line(
                i.service,
                chosen.provider_id,
                units,
                round(units * chosen.unit_cost_pence),
                i.hours_per_week,
                i.sessions_per_week,
            )
        )
    return lines


def apportion(pence: int, weights: Sequence[int]) -> list[int]:
    """`pence` in shares by `weights` (whole percentages summing to 100, or a package's lines'
    weekly costs), exactly: each its floor, and the pennies left over to the largest
    remainders (the first of equal ones). No weight at all: nothing to share."""
    total = sum(weights)
    if total <= 0:
        return [0 for _ in weights]
    floors = [pence * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(pence * weights[i] % total), i))
    for i in order[: pence - sum(floors)]:
        floors[i] += 1
    return floors


def shares(pence: int, charges: Sequence[Charge]) -> list[int]:
    """What each budget a package is charged to pays of `pence`, exactly."""
    return apportion(pence, [charge.percent for charge in charges])


def budget_charges(panel: Panel, district: str | None, funding_split: FundingSplit) -> list[Charge]:
    """The budgets a package is charged to, with each one's percentage: a MAAG's or the
    EARP's own budget in full; a JAP package to each funder's JAP budget (`jap:<funder>`) by
    the split its panel agreed for the case."""
    if panel is not Panel.JAP:
        return [Charge(panel_key(panel, district), 100)]
    if not funding_split:
        raise CommissioningRefused(
            RefusalReason.NO_FUNDING_SPLIT,
            "the JAP has not agreed how this package is funded: it decides each funder's share",
        )
    return [Charge(f"jap:{agency}", percent) for agency, percent in funding_split.pairs()]


# --- a package's money and dates ---


def panel_key(panel: Panel, district: str | None) -> str:
    """A budget holder: each district's MAAG, the county EARP, the JAP."""
    return f"maag:{district}" if panel is Panel.MAAG and district else panel.value


def schedule_of(interventions: Iterable[Intervention]) -> tuple[date, date]:
    """(starts on, first review on): the earliest start, reviewed after the shortest interval."""
    listed = list(interventions)
    starts_on = min(i.starts_on for i in listed)
    interval = min(i.review_interval_weeks for i in listed)
    return starts_on, starts_on + timedelta(weeks=interval)


def review_weeks(starts_on: date, first_review_on: date) -> int:
    """A package's review interval: from its start to its first review (at least a week)."""
    return max((first_review_on - starts_on).days // 7, 1)


def next_review_on(review_on: date, weeks: int) -> date:
    """The review after `review_on`, at the package's own interval: every review is that far
    from the one before, however many there have been."""
    return review_on + timedelta(weeks=weeks)


@dataclass(frozen=True)
class Run:
    """A package's lines from a day until the next change (or its end): what they cost a week."""

    from_day: date
    weekly_pence: int


def cost_in_fy(runs: Sequence[Run], stops_on: date | None, fy: int) -> int:
    """What a package costs within financial year `fy`: each run from its first day to the
    day before the next (or before the package stops; to the year's end while it runs on)."""
    total = 0
    for n, run in enumerate(runs):
        ends = [d for d in (runs[n + 1].from_day if n + 1 < len(runs) else None, stops_on) if d]
        last = min(ends) - timedelta(days=1) if ends else None
        total += committed_in_fy(run.weekly_pence, run.from_day, last, fy)
    return total


def budget_years(first_day: date, today: date) -> range:
    """The financial years a package starting or changing on `first_day` is held in, where
    their budgets are set: its own year through the last a budget may be set for now."""
    return range(financial_year(first_day), settable_years(today).stop)


def require_settable(fy: int, today: date) -> None:
    """A budget is set for this financial year or the next: a closed year's stands as it was."""
    years = settable_years(today)
    if fy < years.start:
        raise CommissioningRefused(
            RefusalReason.YEAR_CLOSED,
            f"fy: financial year {fy_label(fy)} closed on {fy_bounds(fy)[1]}; its budget stands",
        )
    if fy not in years:
        raise CommissioningRefused(
            RefusalReason.YEAR_NOT_OPEN,
            f"fy: a budget may be set for {' or '.join(fy_label(y) for y in years)}, "
            f"not {fy_label(fy)} yet",
        )


def own_places(lines: Iterable[Line]) -> dict[str, float]:
    """Units a package holds at each provider (free again to the same package on a change)."""
    own: dict[str, float] = {}
    for line in lines:
        own[line.provider_id] = own.get(line.provider_id, 0.0) + line.units
    return own


def with_own_places(offers: Iterable[ProviderOffer], own: dict[str, float]) -> list[ProviderOffer]:
    return [
        ProviderOffer(
            o.provider_id,
            o.services,
            o.districts,
            o.free_units + own.get(o.provider_id, 0.0),
            o.unit_cost_pence,
        )
        for o in offers
    ]


# --- a request that could not be commissioned ---

# Commissioners deal with a failed commissioning within two working days of it (Monday to
# Friday; the county's bank holidays are not known here): room or money found before the
# panel decides again at its next meeting.
FAILURE_WORKING_DAYS = 2
REMEDIES = {
    RefusalReason.NO_CAPACITY: Remedy.CAPACITY,
    RefusalReason.OVER_BUDGET: Remedy.BUDGET,
    RefusalReason.NO_BUDGET: Remedy.BUDGET,
}


def remedy_of(reason: str) -> Remedy:
    """What would let the request be met: capacity, money, or the panel's own decision."""
    try:
        return REMEDIES.get(RefusalReason(reason), Remedy.PANEL)
    except ValueError:
        return Remedy.PANEL


def working_days_after(day: date, n: int) -> date:
    """The `n`th working day (Monday to Friday) after `day`."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def deal_with_by(failed_on: date) -> date:
    """The last day a failure of `failed_on` is on time: after it, it is overdue."""
    return working_days_after(failed_on, FAILURE_WORKING_DAYS)
