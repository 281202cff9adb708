"""Providers (capacity), budgets (money per panel per financial year), packages, and the
packages of each case. Two requests racing for a provider's last place both change the
same Provider aggregate: the store accepts one and refuses the other's version.

Each event is declared once, with its state change (`apply`, which the library calls when
the event is triggered and when the aggregate is read back). Events keep their stored
forms (dates as ISO strings, lines and splits as plain lists); the aggregates hold the
values (`domain/values.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, THIRD_PARTY
from contracts.events.commissioning import DecommissionReason, ReviewOutcome
from contracts.events.panel import ReviewDecision
from contracts.reference import AvoidedOutcome, Panel, fy_label
from services.commissioning.domain.rules import (
    CommissioningRefused,
    Run,
    cost_in_fy,
    panel_key,
    review_weeks,
    shares,
)
from services.commissioning.domain.values import (
    Charge,
    FundingSplit,
    LeadContact,
    Line,
    PackageStatus,
    ProviderDetails,
    ProviderKind,
    RefusalReason,
    StoredLine,
)

NAMESPACE = UUID("7e4a1c2b-3d5f-4a6b-9c8d-0e1f2a3b4c5d")


def provider_uuid(provider_id: str) -> UUID:
    return uuid5(NAMESPACE, f"provider:{provider_id}")


def budget_uuid(panel_key: str, fy: int) -> UUID:
    return uuid5(NAMESPACE, f"budget:{panel_key}:{fy}")


def case_packages_uuid(case_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"case:{case_id}")


class Provider(Aggregate):
    class Registered(Aggregate.Created):
        provider_id: Annotated[str, OPERATIONAL]
        name: Annotated[str, OPERATIONAL]
        kind: Annotated[str, OPERATIONAL]
        services: Annotated[list[str], OPERATIONAL]
        districts: Annotated[list[str], OPERATIONAL]
        weekly_capacity: Annotated[float, OPERATIONAL]
        unit_cost_pence: Annotated[int, OPERATIONAL]

    class CapacityChanged(Aggregate.Event):
        weekly_capacity: Annotated[float, OPERATIONAL]

        def apply(self, provider: Provider) -> None:
            provider.weekly_capacity = self.weekly_capacity

    class Reserved(Aggregate.Event):
        package_id: Annotated[UUID, OPERATIONAL]
        units: Annotated[float, OPERATIONAL]

        def apply(self, provider: Provider) -> None:
            held = provider.reservations.get(self.package_id, 0.0)
            provider.reservations[self.package_id] = held + self.units

    class Released(Aggregate.Event):
        package_id: Annotated[UUID, OPERATIONAL]

        def apply(self, provider: Provider) -> None:
            provider.reservations.pop(self.package_id, None)

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
        self.kind = ProviderKind(kind)
        self.services = [s.lower() for s in services]
        self.districts = districts
        self.weekly_capacity = weekly_capacity
        self.unit_cost_pence = unit_cost_pence
        self.reservations: dict[UUID, float] = {}

    @classmethod
    def register(cls, details: ProviderDetails) -> Provider:
        return cls(
            provider_id=details.provider_id,
            name=details.name,
            kind=details.kind.value,
            services=list(details.services),
            districts=list(details.districts),
            weekly_capacity=details.weekly_capacity,
            unit_cost_pence=details.unit_cost_pence,
        )

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
                RefusalReason.NO_CAPACITY,
                f"{self.provider_id} has {self.free:g} units a week free, {units:g} asked",
            )
        self.trigger_event(self.Reserved, package_id=package_id, units=units)

    def release(self, package_id: UUID) -> None:
        if package_id in self.reservations:
            self.trigger_event(self.Released, package_id=package_id)

    def change_capacity(self, weekly_capacity: float) -> None:
        if weekly_capacity < self.used:
            raise CommissioningRefused(
                RefusalReason.CAPACITY_IN_USE,
                f"{self.used:g} units a week are in use; capacity cannot go below that",
            )
        self.trigger_event(self.CapacityChanged, weekly_capacity=weekly_capacity)


class Budget(Aggregate):
    class Set(Aggregate.Created):
        panel_key: Annotated[str, OPERATIONAL]
        fy: Annotated[int, OPERATIONAL]
        amount_pence: Annotated[int, OPERATIONAL]

    class Amended(Aggregate.Event):
        amount_pence: Annotated[int, OPERATIONAL]

        def apply(self, budget: Budget) -> None:
            budget.amount_pence = self.amount_pence

    class Committed(Aggregate.Event):
        package_id: Annotated[UUID, OPERATIONAL]
        pence: Annotated[int, OPERATIONAL]

        def apply(self, budget: Budget) -> None:
            budget.commitments[self.package_id] = (
                budget.commitments.get(self.package_id, 0) + self.pence
            )

    class Released(Aggregate.Event):
        package_id: Annotated[UUID, OPERATIONAL]
        pence: Annotated[int, OPERATIONAL]

        def apply(self, budget: Budget) -> None:
            budget.commitments[self.package_id] -= self.pence

    class Carried(Aggregate.Event):
        """A later year's budget took on the packages this one holds that run into it."""

        into_fy: Annotated[int, OPERATIONAL]

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
                RefusalReason.OVER_BUDGET,
                f"needs £{pence / 100:,.2f} in {fy_label(self.fy)}; £{self.left / 100:,.2f} "
                f"of {self.panel_key}'s £{self.amount_pence / 100:,.2f} is left",
            )
        self.trigger_event(self.Committed, package_id=package_id, pence=pence)

    def release(self, package_id: UUID, pence: int) -> None:
        """Give back what a package no longer spends (from its decommissioning date)."""
        if package_id in self.commitments:
            pence = min(pence, self.commitments[package_id])
            self.trigger_event(self.Released, package_id=package_id, pence=pence)

    def carry(self, into_fy: int) -> None:
        self.trigger_event(self.Carried, into_fy=into_fy)

    def holds(self, package_id: UUID) -> int:
        return self.commitments.get(package_id, 0)

    def require_room(self, package_id: UUID, pence: int) -> None:
        """Refused, with the figures, unless the package's commitment can become `pence`."""
        more = pence - self.holds(package_id)
        if more > self.left:
            self.commit(package_id, more)  # raises, naming the figures

    def hold(self, package_id: UUID, pence: int) -> None:
        """The package's commitment made exactly `pence`: more committed, or some given back."""
        more = pence - self.holds(package_id)
        if more > 0:
            self.commit(package_id, more)
        elif more < 0:
            self.trigger_event(self.Released, package_id=package_id, pence=-more)

    def amend(self, amount_pence: int) -> None:
        if amount_pence < self.committed:
            raise CommissioningRefused(
                RefusalReason.BELOW_COMMITTED,
                f"£{self.committed / 100:,.2f} is already committed",
            )
        self.trigger_event(self.Amended, amount_pence=amount_pence)


class Package(Aggregate):
    class Commissioned(Aggregate.Created):
        package_id: Annotated[UUID, OPERATIONAL]
        case_id: Annotated[UUID, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        panel_key: Annotated[str, OPERATIONAL]
        district: Annotated[str, OPERATIONAL]
        lines: Annotated[list[StoredLine], OPERATIONAL]
        weekly_cost_pence: Annotated[int, OPERATIONAL]
        starts_on: Annotated[str, OPERATIONAL]
        review_on: Annotated[str, OPERATIONAL]
        # [agency, percent]: FundingSplit.stored()
        funding_split: Annotated[list[list[Any]], OPERATIONAL]
        # what the budgets held for it then, every year one was set for
        committed_pence: Annotated[int, OPERATIONAL]
        fy: Annotated[int, OPERATIONAL]
        alternative_to: Annotated[list[str], OPERATIONAL]
        # [budget key, percent]: the budgets its money comes from
        charges: Annotated[list[list[Any]], OPERATIONAL]
        # v3: the panel meeting that agreed it (None: not known)
        meeting_id: Annotated[str | None, OPERATIONAL]

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1 packages avoided nothing recorded and were charged to their panel's budget
            state["alternative_to"] = []
            state["charges"] = [[state["panel_key"], 100]]

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["meeting_id"] = None  # commissioned before the meeting was kept

    class Reviewed(Aggregate.Event):
        case_id: Annotated[UUID, OPERATIONAL]
        goals: Annotated[str, OPERATIONAL]
        level_of_need_change: Annotated[int, OPERATIONAL]
        decision: Annotated[str, OPERATIONAL]
        next_review_on: Annotated[str | None, OPERATIONAL]

        def apply(self, package: Package) -> None:
            if self.next_review_on:
                package.review_on = date.fromisoformat(self.next_review_on)

    class Decommissioned(Aggregate.Event):
        case_id: Annotated[UUID, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]
        effective_from: Annotated[str, OPERATIONAL]
        released_pence: Annotated[int, OPERATIONAL]
        provider_ids: Annotated[list[str], OPERATIONAL]

        def apply(self, package: Package) -> None:
            package.status = PackageStatus.DECOMMISSIONED
            package.ended_on = date.fromisoformat(self.effective_from)

    class Recommissioned(Aggregate.Event):
        # the package's unchanged facts too, so that what it publishes is whole
        case_id: Annotated[UUID, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        review_on: Annotated[str, OPERATIONAL]
        funding_split: Annotated[list[list[Any]], OPERATIONAL]
        lines: Annotated[list[StoredLine], OPERATIONAL]
        weekly_cost_pence: Annotated[int, OPERATIONAL]
        starts_on: Annotated[str, OPERATIONAL]
        # what the budgets hold for it from then, and gave back, over every year set
        committed_pence: Annotated[int, OPERATIONAL]
        released_pence: Annotated[int, OPERATIONAL]
        previous_provider_ids: Annotated[list[str], OPERATIONAL]
        alternative_to: Annotated[list[str], OPERATIONAL]

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["alternative_to"] = []

        def apply(self, package: Package) -> None:
            package.lines = [Line.of(line) for line in self.lines]
            package.weekly_cost_pence = self.weekly_cost_pence
            package.starts_on = date.fromisoformat(self.starts_on)
            package.runs.append(Run(package.starts_on, self.weekly_cost_pence))

    @event(Commissioned)
    def __init__(
        self,
        package_id: UUID,
        case_id: UUID,
        panel: str,
        panel_key: str,
        district: str,
        lines: list[StoredLine],
        weekly_cost_pence: int,
        starts_on: str,
        review_on: str,
        funding_split: list[list[Any]],
        committed_pence: int,
        fy: int,
        alternative_to: list[str],
        charges: list[list[Any]],
        meeting_id: str | None = None,
    ) -> None:
        self.case_id = case_id
        self.panel = Panel(panel)
        self.panel_key = panel_key
        self.district = district
        self.lines = [Line.of(line) for line in lines]
        self.weekly_cost_pence = weekly_cost_pence
        self.starts_on = date.fromisoformat(starts_on)
        self.review_on = date.fromisoformat(review_on)
        # derived from the commissioning itself, so every later review keeps the interval
        self.review_weeks = review_weeks(self.starts_on, self.review_on)
        self.funding_split = FundingSplit.of(funding_split)
        self.fy = fy  # the year it started in
        self.alternative_to = [AvoidedOutcome(a) for a in alternative_to]
        self.charges = [Charge.of(c) for c in charges]
        # its lines from each day they changed: what it costs in any financial year
        self.runs = [Run(self.starts_on, weekly_cost_pence)]
        self.status = PackageStatus.ACTIVE
        self.ended_on: date | None = None
        self.agreed_at = UUID(meeting_id) if meeting_id else None  # the panel's meeting

    @classmethod
    def commission(
        cls,
        *,
        package_id: UUID,
        case_id: UUID,
        panel: Panel,
        district: str,
        lines: Sequence[Line],
        starts_on: date,
        review_on: date,
        funding_split: FundingSplit,
        committed_pence: int,
        fy: int,
        alternative_to: Sequence[AvoidedOutcome],
        charges: Sequence[Charge],
        agreed_at: UUID | None = None,
    ) -> Package:
        """A package bought: its lines from `starts_on`, first reviewed on `review_on`,
        charged to `charges` (only a JAP package keeps its funding split), as the panel's
        meeting `agreed_at` agreed."""
        return cls(
            package_id=package_id,
            case_id=case_id,
            panel=panel.value,
            panel_key=panel_key(panel, district),
            district=district,
            lines=[line.stored() for line in lines],
            weekly_cost_pence=sum(line.weekly_cost_pence for line in lines),
            starts_on=starts_on.isoformat(),
            review_on=review_on.isoformat(),
            funding_split=funding_split.stored() if panel is Panel.JAP else [],
            committed_pence=committed_pence,
            fy=fy,
            alternative_to=[a.value for a in alternative_to],
            charges=[c.stored() for c in charges],
            meeting_id=str(agreed_at) if agreed_at else None,
        )

    @staticmethod
    def create_id(package_id: UUID, **_: Any) -> UUID:
        return package_id

    @property
    def provider_ids(self) -> list[str]:
        return sorted({line.provider_id for line in self.lines})

    @property
    def active(self) -> bool:
        return self.status is PackageStatus.ACTIVE

    def _require_active(self) -> None:
        if not self.active:
            raise CommissioningRefused(
                RefusalReason.NOT_ACTIVE, f"package {self.id} is {self.status}"
            )

    def cost_in(self, fy: int, changed: Run | None = None, stops_on: date | None = None) -> int:
        """What it costs within financial year `fy`: as it runs, or were it `changed` from
        a day, or stopped from `stops_on`."""
        runs = [*self.runs, changed] if changed else self.runs
        return cost_in_fy(runs, stops_on or self.ended_on, fy)

    def share_in(self, budget: str, fy: int) -> int:
        """What budget `budget` holds for it in `fy`: its share of what it costs that year."""
        for charge, pence in zip(self.charges, shares(self.cost_in(fy), self.charges), strict=True):
            if charge.budget == budget:
                return pence
        return 0

    def review(
        self,
        goals: ReviewOutcome,
        level_change: int,
        decision: ReviewDecision,
        next_review_on: date | None,
    ) -> None:
        self._require_active()
        self.trigger_event(
            self.Reviewed,
            case_id=self.case_id,
            goals=goals.value,
            level_of_need_change=level_change,
            decision=decision.value,
            next_review_on=next_review_on.isoformat() if next_review_on else None,
        )

    def decommission(
        self, reason: DecommissionReason, effective_from: date, released_pence: int
    ) -> bool:
        if not self.active:
            return False
        self.trigger_event(
            self.Decommissioned,
            case_id=self.case_id,
            reason=reason.value,
            effective_from=effective_from.isoformat(),
            released_pence=released_pence,
            provider_ids=self.provider_ids,
        )
        return True

    def require_change_from(self, day: date) -> None:
        """A change takes effect from its last change (or its start) on, never before."""
        self._require_active()
        if day < self.starts_on:
            raise CommissioningRefused(
                RefusalReason.BEFORE_LAST_CHANGE,
                f"effective_from: {day} is before the package's lines of {self.starts_on}",
            )

    def recommission(
        self,
        lines: Sequence[Line],
        starts_on: date,
        committed_pence: int,
        released_pence: int,
    ) -> None:
        """The package changes from `starts_on`: new lines, new weekly cost."""
        self.require_change_from(starts_on)
        self.trigger_event(
            self.Recommissioned,
            case_id=self.case_id,
            panel=self.panel.value,
            review_on=self.review_on.isoformat(),
            funding_split=self.funding_split.stored(),
            lines=[line.stored() for line in lines],
            weekly_cost_pence=sum(line.weekly_cost_pence for line in lines),
            starts_on=starts_on.isoformat(),
            committed_pence=committed_pence,
            released_pence=released_pence,
            previous_provider_ids=self.provider_ids,
            alternative_to=[a.value for a in self.alternative_to],
        )


class CasePackages(Aggregate):
    """Which packages a case has (to decommission them all when consent goes or it closes),
    and who leads the case while it is open (who may read them besides its panel)."""

    class Opened(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]

    class Added(Aggregate.Event):
        package_id: Annotated[UUID, OPERATIONAL]

        def apply(self, case: CasePackages) -> None:
            case.package_ids.append(self.package_id)

    class LeadNoted(Aggregate.Event):
        professional_id: Annotated[str, THIRD_PARTY]
        # v2: who the case's providers contact to start the work
        name: Annotated[str | None, THIRD_PARTY]
        work_email: Annotated[str | None, THIRD_PARTY]
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["name"] = state["work_email"] = None  # noted before providers read it

        def apply(self, case: CasePackages) -> None:
            case.lead = self.professional_id
            case.lead_contact = (
                LeadContact(self.name, self.work_email) if self.name and self.work_email else None
            )

    class Closed(Aggregate.Event):
        def apply(self, case: CasePackages) -> None:
            case.closed = True

    class ConsentNoted(Aggregate.Event):
        """Consent withdrawn with no basis to go on (the case pauses), or given again."""

        withdrawn: Annotated[bool, OPERATIONAL]

        def apply(self, case: CasePackages) -> None:
            case.withdrawn = self.withdrawn

    @event(Opened)
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.package_ids: list[UUID] = []
        self.lead: str | None = None
        self.lead_contact: LeadContact | None = None
        self.closed = False
        self.withdrawn = False

    @property
    def open(self) -> bool:
        """Not closed, and consent not withdrawn without a basis: its lead may read it."""
        return not self.closed and not self.withdrawn

    def note_lead(self, professional_id: str, contact: LeadContact | None = None) -> None:
        """The panel named the case's lead professional; a repeat changes nothing."""
        if (professional_id, contact) != (self.lead, self.lead_contact):
            self.trigger_event(
                self.LeadNoted,
                professional_id=professional_id,
                name=contact.name if contact else None,
                work_email=contact.work_email if contact else None,
            )

    def close(self) -> None:
        if not self.closed:
            self.trigger_event(self.Closed)

    def note_consent(self, withdrawn: bool) -> None:
        if withdrawn != self.withdrawn:
            self.trigger_event(self.ConsentNoted, withdrawn=withdrawn)

    @staticmethod
    def create_id(case_id: UUID) -> UUID:
        return case_packages_uuid(case_id)

    def add(self, package_id: UUID) -> None:
        if package_id not in self.package_ids:
            self.trigger_event(self.Added, package_id=package_id)


class Refusal(Aggregate):
    """A package request that could not be met: kept, and published, so the panel can decide
    again. One per request: the first commissioning's, and each review's (by its meeting)."""

    class Refused(Aggregate.Created):
        package_id: Annotated[UUID, OPERATIONAL]
        case_id: Annotated[UUID, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]
        detail: Annotated[str, OPERATIONAL]
        # the meeting whose review asked for the change refused; None: the package itself
        review: Annotated[str | None, OPERATIONAL]
        # v3: the package's district, and the meeting whose decision it was (the one that
        # agreed the package, or `review`); None: not known
        district: Annotated[str | None, OPERATIONAL]
        meeting_id: Annotated[str | None, OPERATIONAL]

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["review"] = None  # v1 kept one refusal a package

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["district"] = None  # refused before the district was kept
            state["meeting_id"] = state["review"]

    @event(Refused)
    def __init__(
        self,
        package_id: UUID,
        case_id: UUID,
        panel: str,
        reason: str,
        detail: str,
        review: str | None,
        district: str | None = None,
        meeting_id: str | None = None,
    ) -> None:
        self.package_id = package_id
        self.case_id = case_id
        self.reason = reason
        self.detail = detail

    @classmethod
    def of(
        cls,
        package_id: UUID,
        case_id: UUID,
        panel: Panel,
        refused: CommissioningRefused,
        review: UUID | None = None,
        *,
        district: str,
        meeting: UUID | None,
    ) -> Refusal:
        """The refusal of the decision the panel's `meeting` took for a package in
        `district`: the package itself, or (`review`) a change its review asked for."""
        return cls(
            package_id=package_id,
            case_id=case_id,
            panel=panel.value,
            reason=refused.reason.value,
            detail=str(refused),
            review=str(review) if review else None,
            district=district,
            meeting_id=str(meeting) if meeting else None,
        )

    @staticmethod
    def create_id(package_id: UUID, review: str | UUID | None = None, **_: Any) -> UUID:
        asked = f"refusal:{package_id}" + (f":{review}" if review else "")
        return uuid5(NAMESPACE, asked)


class ProviderIndex(Aggregate):
    """Every registered provider's id (one, well-known aggregate)."""

    ID = uuid5(NAMESPACE, "provider-index")

    class Started(Aggregate.Created):
        pass

    class Listed(Aggregate.Event):
        provider_id: Annotated[str, OPERATIONAL]

        def apply(self, index: ProviderIndex) -> None:
            index.provider_ids.append(self.provider_id)

    @event(Started)
    def __init__(self) -> None:
        self.provider_ids: list[str] = []

    @staticmethod
    def create_id() -> UUID:
        return ProviderIndex.ID

    def add(self, provider_id: str) -> None:
        if provider_id not in self.provider_ids:
            self.trigger_event(self.Listed, provider_id=provider_id)
