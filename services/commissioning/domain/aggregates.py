"""Providers (capacity), budgets (money per panel per financial year), packages, and the
packages of each case. Two requests racing for a provider's last place both change the
same Provider aggregate: the store accepts one and refuses the other's version."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.commissioning.domain.rules import CommissioningRefused, review_weeks

NAMESPACE = UUID("7e4a1c2b-3d5f-4a6b-9c8d-0e1f2a3b4c5d")


def provider_uuid(provider_id: str) -> UUID:
    return uuid5(NAMESPACE, f"provider:{provider_id}")


def budget_uuid(panel_key: str, fy: int) -> UUID:
    return uuid5(NAMESPACE, f"budget:{panel_key}:{fy}")


def case_packages_uuid(case_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"case:{case_id}")


class Provider(Aggregate):
    class Registered(Aggregate.Created):
        provider_id: str
        name: str
        kind: str
        services: list[str]
        districts: list[str]
        weekly_capacity: float
        unit_cost_pence: int

    class CapacityChanged(Aggregate.Event):
        weekly_capacity: float

    class Reserved(Aggregate.Event):
        package_id: UUID
        units: float

    class Released(Aggregate.Event):
        package_id: UUID

    @event(Registered)
    def __init__(
        self,
        provider_id: str,
        name: str,
        kind: str,
        services: list[str],
        districts: list[str],
        weekly_capacity: float,
        unit_cost_pence: int,
    ) -> None:
        self.provider_id = provider_id
        self.name = name
        self.kind = kind
        self.services = [s.lower() for s in services]
        self.districts = districts
        self.weekly_capacity = weekly_capacity
        self.unit_cost_pence = unit_cost_pence
        self.reservations: dict[UUID, float] = {}

    @staticmethod
    def create_id(provider_id: str, **_: Any) -> UUID:
        return provider_uuid(provider_id)

    @property
    def used(self) -> float:
        return sum(self.reservations.values())

    @property
    def free(self) -> float:
        return self.weekly_capacity - self.used

    def reserve(self, package_id: UUID, units: float) -> None:
        if units > self.free:
            raise CommissioningRefused(
                "no-capacity",
                f"{self.provider_id} has {self.free:g} units a week free, {units:g} asked",
            )
        self._reserved(package_id=package_id, units=units)

    def release(self, package_id: UUID) -> None:
        if package_id in self.reservations:
            self._released(package_id=package_id)

    def change_capacity(self, weekly_capacity: float) -> None:
        if weekly_capacity < self.used:
            raise CommissioningRefused(
                "capacity-in-use",
                f"{self.used:g} units a week are in use; capacity cannot go below that",
            )
        self._capacity_changed(weekly_capacity=weekly_capacity)

    @event(CapacityChanged)
    def _capacity_changed(self, weekly_capacity: float) -> None:
        self.weekly_capacity = weekly_capacity

    @event(Reserved)
    def _reserved(self, package_id: UUID, units: float) -> None:
        self.reservations[package_id] = self.reservations.get(package_id, 0.0) + units

    @event(Released)
    def _released(self, package_id: UUID) -> None:
        self.reservations.pop(package_id, None)


class Budget(Aggregate):
    class Set(Aggregate.Created):
        panel_key: str
        fy: int
        amount_pence: int

    class Amended(Aggregate.Event):
        amount_pence: int

    class Committed(Aggregate.Event):
        package_id: UUID
        pence: int

    class Released(Aggregate.Event):
        package_id: UUID
        pence: int

    @event(Set)
    def __init__(self, panel_key: str, fy: int, amount_pence: int) -> None:
        self.panel_key = panel_key
        self.fy = fy
        self.amount_pence = amount_pence
        self.commitments: dict[UUID, int] = {}

    @staticmethod
    def create_id(panel_key: str, fy: int, **_: Any) -> UUID:
        return budget_uuid(panel_key, fy)

    @property
    def committed(self) -> int:
        return sum(self.commitments.values())

    @property
    def left(self) -> int:
        return self.amount_pence - self.committed

    def commit(self, package_id: UUID, pence: int) -> None:
        if pence > self.left:
            raise CommissioningRefused(
                "over-budget",
                f"needs £{pence / 100:,.2f} this financial year; £{self.left / 100:,.2f} of "
                f"{self.panel_key}'s £{self.amount_pence / 100:,.2f} is left",
            )
        self._committed(package_id=package_id, pence=pence)

    def release(self, package_id: UUID, pence: int) -> None:
        """Give back what a package no longer spends (from its decommissioning date)."""
        if package_id in self.commitments:
            self._released(package_id=package_id, pence=min(pence, self.commitments[package_id]))

    def amend(self, amount_pence: int) -> None:
        if amount_pence < self.committed:
            raise CommissioningRefused(
                "below-committed", f"£{self.committed / 100:,.2f} is already committed"
            )
        self._amended(amount_pence=amount_pence)

    @event(Amended)
    def _amended(self, amount_pence: int) -> None:
        self.amount_pence = amount_pence

    @event(Committed)
    def _committed(self, package_id: UUID, pence: int) -> None:
        self.commitments[package_id] = self.commitments.get(package_id, 0) + pence

    @event(Released)
    def _released(self, package_id: UUID, pence: int) -> None:
        self.commitments[package_id] -= pence


class Package(Aggregate):
    class Commissioned(Aggregate.Created):
        package_id: UUID
        case_id: UUID
        panel: str
        panel_key: str
        district: str
        lines: list[dict[str, Any]]
        weekly_cost_pence: int
        starts_on: str
        review_on: str
        funding_split: list[list[Any]]
        committed_pence: int
        fy: int
        alternative_to: list[str]
        charges: list[list[Any]]  # [budget key, percent]: the budgets its money comes from

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1 packages avoided nothing recorded and were charged to their panel's budget
            state["alternative_to"] = []
            state["charges"] = [[state["panel_key"], 100]]

    class Reviewed(Aggregate.Event):
        case_id: UUID
        goals: str
        level_of_need_change: int
        decision: str
        next_review_on: str | None

    class Decommissioned(Aggregate.Event):
        case_id: UUID
        reason: str
        effective_from: str
        released_pence: int
        provider_ids: list[str]

    class Recommissioned(Aggregate.Event):
        case_id: UUID
        panel: str
        review_on: str
        funding_split: list[list[Any]]
        lines: list[dict[str, Any]]
        weekly_cost_pence: int
        starts_on: str
        committed_pence: int
        released_pence: int
        previous_provider_ids: list[str]
        alternative_to: list[str]

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["alternative_to"] = []

    @event(Commissioned)
    def __init__(
        self,
        package_id: UUID,
        case_id: UUID,
        panel: str,
        panel_key: str,
        district: str,
        lines: list[dict[str, Any]],
        weekly_cost_pence: int,
        starts_on: str,
        review_on: str,
        funding_split: list[list[Any]],
        committed_pence: int,
        fy: int,
        alternative_to: list[str],
        charges: list[list[Any]],
    ) -> None:
        self.case_id = case_id
        self.panel = panel
        self.panel_key = panel_key
        self.district = district
        self.lines = lines
        self.weekly_cost_pence = weekly_cost_pence
        self.starts_on = starts_on
        self.review_on = review_on
        # derived from the commissioning itself, so every later review keeps the interval
        self.review_weeks = review_weeks(
            date.fromisoformat(starts_on), date.fromisoformat(review_on)
        )
        self.funding_split = funding_split
        self.committed_pence = committed_pence
        self.fy = fy
        self.alternative_to = alternative_to
        self.charges = charges
        # what its periods before a recommission spent (part of committed_pence)
        self.spent_before_pence = 0
        self.status = "active"
        self.ended_on: str | None = None

    @staticmethod
    def create_id(package_id: UUID, **_: Any) -> UUID:
        return package_id

    @property
    def provider_ids(self) -> list[str]:
        return sorted({line["provider_id"] for line in self.lines})

    def review(
        self,
        goals: str,
        level_change: int,
        decision: str,
        next_review_on: str | None,
    ) -> None:
        if self.status != "active":
            raise CommissioningRefused("not-active", f"package {self.id} is {self.status}")
        self._reviewed(
            case_id=self.case_id,
            goals=goals,
            level_of_need_change=level_change,
            decision=decision,
            next_review_on=next_review_on,
        )

    def decommission(
        self,
        reason: str,
        effective_from: str,
        released_pence: int,
    ) -> bool:
        if self.status != "active":
            return False
        self._decommissioned(
            case_id=self.case_id,
            reason=reason,
            effective_from=effective_from,
            released_pence=released_pence,
            provider_ids=self.provider_ids,
        )
        return True

    @event(Reviewed)
    def _reviewed(
        self,
        case_id: UUID,
        goals: str,
        level_of_need_change: int,
        decision: str,
        next_review_on: str | None,
    ) -> None:
        if next_review_on:
            self.review_on = next_review_on

    def recommission(
        self,
        lines: list[dict[str, Any]],
        weekly_cost_pence: int,
        starts_on: str,
        committed_pence: int,
        released_pence: int,
    ) -> None:
        """The package changes from `starts_on`: new lines, new weekly cost."""
        if self.status != "active":
            raise CommissioningRefused("not-active", f"package {self.id} is {self.status}")
        self._recommissioned(
            panel=self.panel,
            review_on=self.review_on,
            funding_split=self.funding_split,
            case_id=self.case_id,
            lines=lines,
            weekly_cost_pence=weekly_cost_pence,
            starts_on=starts_on,
            committed_pence=committed_pence,
            released_pence=released_pence,
            previous_provider_ids=self.provider_ids,
            alternative_to=self.alternative_to,
        )

    @event(Recommissioned)
    def _recommissioned(
        self,
        panel: str,
        review_on: str,
        funding_split: list[list[Any]],
        case_id: UUID,
        lines: list[dict[str, Any]],
        weekly_cost_pence: int,
        starts_on: str,
        committed_pence: int,
        released_pence: int,
        previous_provider_ids: list[str],
        alternative_to: list[str],
    ) -> None:
        # what was committed less what went back: what every period so far has spent
        self.spent_before_pence = self.committed_pence - released_pence
        self.lines = lines
        self.weekly_cost_pence = weekly_cost_pence
        self.starts_on = starts_on
        self.committed_pence = committed_pence

    @event(Decommissioned)
    def _decommissioned(
        self,
        case_id: UUID,
        reason: str,
        effective_from: str,
        released_pence: int,
        provider_ids: list[str],
    ) -> None:
        self.status = "decommissioned"
        self.ended_on = effective_from


class CasePackages(Aggregate):
    """Which packages a case has: to decommission them all when consent goes or it closes."""

    class Opened(Aggregate.Created):
        case_id: UUID

    class Added(Aggregate.Event):
        package_id: UUID

    @event(Opened)
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.package_ids: list[UUID] = []

    @staticmethod
    def create_id(case_id: UUID) -> UUID:
        return case_packages_uuid(case_id)

    def add(self, package_id: UUID) -> None:
        if package_id not in self.package_ids:
            self._added(package_id=package_id)

    @event(Added)
    def _added(self, package_id: UUID) -> None:
        self.package_ids.append(package_id)


class Refusal(Aggregate):
    """A package request that could not be met: kept, and published, so the panel can decide again."""

    class Refused(Aggregate.Created):
        package_id: UUID
        case_id: UUID
        panel: str
        reason: str
        detail: str

    @event(Refused)
    def __init__(
        self,
        package_id: UUID,
        case_id: UUID,
        panel: str,
        reason: str,
        detail: str,
    ) -> None:
        self.package_id = package_id
        self.reason = reason
        self.detail = detail

    @staticmethod
    def create_id(package_id: UUID, **_: Any) -> UUID:
        return uuid5(NAMESPACE, f"refusal:{package_id}")


class ProviderIndex(Aggregate):
    """Every registered provider's id (one, well-known aggregate)."""

    ID = uuid5(NAMESPACE, "provider-index")

    class Started(Aggregate.Created):
        pass

    class Listed(Aggregate.Event):
        provider_id: str

    @event(Started)
    def __init__(self) -> None:
        self.provider_ids: list[str] = []

    @staticmethod
    def create_id() -> UUID:
        return ProviderIndex.ID

    def add(self, provider_id: str) -> None:
        if provider_id not in self.provider_ids:
            self._listed(provider_id=provider_id)

    @event(Listed)
    def _listed(self, provider_id: str) -> None:
        self.provider_ids.append(provider_id)
