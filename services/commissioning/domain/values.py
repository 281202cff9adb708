"""Commissioning's facts as types, from the panel's request (or a commissioner's body) to
the aggregate and back: a provider's entry, a package's lines and status, the budgets its
money comes from, why a request is refused. Stored events keep their plain forms; each
value reads and writes its own (`stored`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypedDict

from contracts.events.base import FundingSplit
from contracts.events.panel import RequestedIntervention

__all__ = [
    "Charge",
    "FundingSplit",
    "Intervention",
    "LeadContact",
    "Line",
    "PackageStatus",
    "ProviderDetails",
    "ProviderKind",
    "RefusalReason",
    "Remedy",
    "StoredLine",
]

# An intervention as the panel asked for it: the published request is the fact itself.
Intervention = RequestedIntervention


class RefusalReason(StrEnum):
    """Why commissioning refuses: each refusal names one (and says why in words)."""

    EXISTS = "exists"
    NO_CAPACITY = "no-capacity"
    CAPACITY_IN_USE = "capacity-in-use"
    OVER_BUDGET = "over-budget"
    BELOW_COMMITTED = "below-committed"
    NO_BUDGET = "no-budget"
    NO_FUNDING_SPLIT = "no-funding-split"
    NOT_ACTIVE = "not-active"
    NO_INTERVENTIONS = "no-interventions"
    YEAR_CLOSED = "year-closed"
    YEAR_NOT_OPEN = "year-not-open"
    BEFORE_LAST_CHANGE = "before-last-change"


class Remedy(StrEnum):
    """What would let the panel's next decision on a refused request be carried out."""

    CAPACITY = "capacity"  # a provider with room: commissioners raise or add capacity
    BUDGET = "budget"  # money: commissioners raise (or set) the budget
    PANEL = "panel"  # the panel's own decision (a funding split, the changed interventions)


class PackageStatus(StrEnum):
    ACTIVE = "active"
    DECOMMISSIONED = "decommissioned"


class ProviderKind(StrEnum):
    IN_HOUSE = "in-house"
    HEALTH = "health"
    PVI = "pvi"  # private, voluntary and independent


@dataclass(frozen=True)
class ProviderDetails:
    """A provider's entry in the directory, as a commissioner registers it."""

    provider_id: str
    name: str
    kind: ProviderKind
    services: tuple[str, ...]
    districts: tuple[str, ...]  # empty: county-wide
    weekly_capacity: float  # places, hours or sessions a week
    unit_cost_pence: int

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> ProviderDetails:
        """From a JSON entry (the seeded directory)."""
        return cls(
            provider_id=str(entry["provider_id"]),
            name=str(entry["name"]),
            kind=ProviderKind(entry["kind"]),
            services=tuple(entry["services"]),
            districts=tuple(entry.get("districts", ())),
            weekly_capacity=entry["weekly_capacity"],
            unit_cost_pence=int(entry["unit_cost_pence"]),
        )


class StoredLine(TypedDict):
    """A line as stored events hold it."""

    service: str
    provider_id: str
    units: float
    weekly_cost_pence: int
    hours_per_week: float | None
    sessions_per_week: int | None


@dataclass(frozen=True)
class Line:
    """One intervention of a package, bought from one provider: units a week, and their cost."""

    service: str
    provider_id: str
    units: float
    weekly_cost_pence: int
    hours_per_week: float | None
    sessions_per_week: int | None

    @classmethod
    def of(cls, stored: StoredLine) -> Line:
        return cls(**stored)

    def stored(self) -> StoredLine:
        return StoredLine(
            service=self.service,
            provider_id=self.provider_id,
            units=self.units,
            weekly_cost_pence=self.weekly_cost_pence,
            hours_per_week=self.hours_per_week,
            sessions_per_week=self.sessions_per_week,
        )


@dataclass(frozen=True)
class LeadContact:
    """Who a case's providers contact to start the work: its lead professional."""

    name: str
    work_email: str


@dataclass(frozen=True)
class Charge:
    """A budget a package's money comes from (`maag:<district>`, `earp`, `jap:<funder>`)
    and its share, in whole percent; a package's charges sum to 100."""

    budget: str
    percent: int

    @classmethod
    def of(cls, stored: list[Any]) -> Charge:
        """From `[budget, percent]`, as stored events hold it."""
        budget, percent = stored
        return cls(str(budget), int(percent))

    def stored(self) -> list[str | int]:
        return [self.budget, self.percent]
