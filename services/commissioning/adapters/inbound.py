"""Events the commissioning service follows: packages requested and cases closed (panel),
consent withdrawn (referral)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts.events.panel import CaseClosed, PackageRequested, PackageReviewDecided
from contracts.events.referral import ConsentWithdrawn
from maag.runtime.messaging.consumer import Delivery, Subscription, on_events
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application import policies
from services.commissioning.domain.aggregates import ProviderIndex, case_packages_uuid


class Inbound:
    """Each inbound event type to its policy (`application/policies.py`)."""

    def package_requested(self, d: Delivery[PackageRequested], work: Work) -> None:
        policies.package_requested(work, d.message)

    def review_decided(self, d: Delivery[PackageReviewDecided], work: Work) -> None:
        policies.review_decided(work, d.message)

    def case_closed(self, d: Delivery[CaseClosed], work: Work) -> None:
        policies.case_closed(work, d.message)

    def consent_withdrawn(self, d: Delivery[ConsentWithdrawn], work: Work) -> None:
        policies.consent_withdrawn(work, d.message)


def _prefetch(d: Delivery[Any]) -> list[UUID]:
    e = d.message
    ids = [case_packages_uuid(e.case_id), ProviderIndex.ID]
    if isinstance(e, PackageRequested | PackageReviewDecided):
        ids.append(e.package_id)
    return ids


def subscriptions(inbound: Inbound, panel_topic: str, referral_topic: str) -> list[Subscription]:
    return [
        on_events(
            panel_topic,
            {
                PackageRequested: inbound.package_requested,
                PackageReviewDecided: inbound.review_decided,
                CaseClosed: inbound.case_closed,
            },
            prefetch=_prefetch,
        ),
        on_events(
            referral_topic, {ConsentWithdrawn: inbound.consent_withdrawn}, prefetch=_prefetch
        ),
    ]
