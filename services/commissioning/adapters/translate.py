"""What the commissioning service publishes for each of its domain events (the outbox
translator): one translator per published event class, in a table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from contracts.events import Actor, IntegrationEvent
from contracts.events.base import FundingSplit
from contracts.events.commissioning import (
    CommissionedIntervention,
    CommissioningFailed,
    DecommissionReason,
    PackageCommissioned,
    PackageDecommissioned,
    PackageReviewed,
    ReviewOutcome,
)
from contracts.reference import AvoidedOutcome, Panel, Role
from maag.runtime import causation
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import Outbound, published_actor
from services.commissioning.domain.aggregates import (
    Budget,
    CasePackages,
    Package,
    Provider,
    ProviderIndex,
    Refusal,
)

SYSTEM = Actor(user_id="commissioning-service", role=Role.SYSTEM, agency="maag")


def _commissioned(e: Package.Commissioned | Package.Recommissioned) -> PackageCommissioned:
    return PackageCommissioned(
        case_id=e.case_id,
        occurred_at=e.timestamp,
        actor=published_actor(e, SYSTEM),
        package_id=e.originator_id,
        panel=Panel(e.panel),
        interventions=[
            CommissionedIntervention(
                service=line["service"],
                provider_id=line["provider_id"],
                hours_per_week=line["hours_per_week"],
                sessions_per_week=line["sessions_per_week"],
                weekly_cost_pence=line["weekly_cost_pence"],
            )
            for line in e.lines
        ],
        weekly_cost_pence=e.weekly_cost_pence,
        starts_on=date.fromisoformat(e.starts_on),
        review_on=date.fromisoformat(e.review_on),
        funding_split=list(FundingSplit.of(e.funding_split).shares),
        alternative_to=[AvoidedOutcome(a) for a in e.alternative_to],
    )


def _reviewed(e: Package.Reviewed) -> PackageReviewed:
    return PackageReviewed(
        case_id=e.case_id,
        occurred_at=e.timestamp,
        actor=published_actor(e, SYSTEM),
        package_id=e.originator_id,
        goals=ReviewOutcome(e.goals),
        level_of_need_change=e.level_of_need_change,
        decision=e.decision,
        next_review_on=date.fromisoformat(e.next_review_on) if e.next_review_on else None,
    )


def _decommissioned(e: Package.Decommissioned) -> PackageDecommissioned:
    return PackageDecommissioned(
        case_id=e.case_id,
        occurred_at=e.timestamp,
        actor=published_actor(e, SYSTEM),
        package_id=e.originator_id,
        reason=DecommissionReason(e.reason),
        effective_from=date.fromisoformat(e.effective_from),
        provider_ids=e.provider_ids,
    )


def _refused(e: Refusal.Refused) -> CommissioningFailed:
    # the service's own answer, whoever asked
    return CommissioningFailed(
        case_id=e.case_id,
        occurred_at=e.timestamp,
        actor=SYSTEM,
        package_id=e.package_id,
        panel=Panel(e.panel),
        reason=e.reason,
        detail=e.detail,
    )


TRANSLATORS: dict[type[Any], Callable[[Any], IntegrationEvent]] = {
    Package.Commissioned: _commissioned,
    Package.Recommissioned: _commissioned,  # the package as it is from then on
    Package.Reviewed: _reviewed,
    Package.Decommissioned: _decommissioned,
    Refusal.Refused: _refused,
}
INTERNAL = (
    Provider.Registered,
    Provider.CapacityChanged,
    Provider.Reserved,
    Provider.Released,
    Budget.Set,
    Budget.Amended,
    Budget.Committed,
    Budget.Released,
    Budget.Carried,
    CasePackages.Opened,
    CasePackages.Added,
    CasePackages.LeadNoted,  # the panel published it
    CasePackages.Closed,
    CasePackages.ConsentNoted,
    ProviderIndex.Started,
    ProviderIndex.Listed,
)
CLASSES = EventClasses(published=tuple(TRANSLATORS), internal=INTERNAL)


def translate(e: Any) -> Outbound | None:
    return Outbound(TRANSLATORS[type(e)](e), correlation_id=causation.correlation_of(e))
