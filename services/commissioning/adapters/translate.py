"""What the commissioning service publishes for each of its domain events (the outbox translator)."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.events import Actor, IntegrationEvent
from contracts.events.base import FundingShare
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
INTERNAL = (
    Provider.Registered,
    Provider.CapacityChanged,
    Provider.Reserved,
    Provider.Released,
    Budget.Set,
    Budget.Amended,
    Budget.Committed,
    Budget.Released,
    CasePackages.Opened,
    CasePackages.Added,
    ProviderIndex.Started,
    ProviderIndex.Listed,
)
PUBLISHED = (
    Package.Commissioned,
    Package.Recommissioned,
    Package.Reviewed,
    Package.Decommissioned,
    Refusal.Refused,
)
CLASSES = EventClasses(published=PUBLISHED, internal=INTERNAL)


def translate(e: Any) -> Outbound | None:
    event: IntegrationEvent
    if isinstance(e, Refusal.Refused):
        event = CommissioningFailed(
            case_id=e.case_id,
            occurred_at=e.timestamp,
            actor=SYSTEM,
            package_id=e.package_id,
            panel=Panel(e.panel),
            reason=e.reason,
            detail=e.detail,
        )
        return Outbound(event, correlation_id=causation.correlation_of(e))
    base: dict[str, Any] = {
        "occurred_at": e.timestamp,
        "actor": published_actor(e, SYSTEM),
        "package_id": e.originator_id,
    }
    if isinstance(e, Package.Commissioned | Package.Recommissioned):
        event = PackageCommissioned(
            **base,
            case_id=e.case_id,
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
            funding_split=[FundingShare(agency=a, percent=p) for a, p in e.funding_split],
            alternative_to=[AvoidedOutcome(a) for a in e.alternative_to],
        )
    elif isinstance(e, Package.Reviewed):
        event = PackageReviewed(
            **base,
            case_id=e.case_id,
            goals=ReviewOutcome(e.goals),
            level_of_need_change=e.level_of_need_change,
            decision=e.decision,
            next_review_on=date.fromisoformat(e.next_review_on) if e.next_review_on else None,
        )
    else:
        event = PackageDecommissioned(
            **base,
            case_id=e.case_id,
            reason=DecommissionReason(e.reason),
            effective_from=date.fromisoformat(e.effective_from),
            provider_ids=e.provider_ids,
        )
    return Outbound(event, correlation_id=causation.correlation_of(e))
