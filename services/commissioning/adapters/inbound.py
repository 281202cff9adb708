"""Events the commissioning service follows, each to its policy (`application/policies/`):
packages requested, reviews decided and cases closed (panel), consent withdrawn (referral)."""

from __future__ import annotations

from uuid import UUID

from contracts.events import IntegrationEvent
from contracts.events.panel import (
    CaseClosed,
    LeadProfessionalAssigned,
    PackageRequested,
    PackageReviewDecided,
)
from contracts.events.referral import ConsentWithdrawn, ReferralAccepted
from maag.runtime.messaging.consumer import Delivery, Handler, Subscription, on_events
from services.commissioning.application.policies.on_case_closed import on_case_closed
from services.commissioning.application.policies.on_consent_withdrawn import (
    on_consent_withdrawn,
)
from services.commissioning.application.policies.on_lead_professional_assigned import (
    on_lead_professional_assigned,
)
from services.commissioning.application.policies.on_package_requested import (
    on_package_requested,
)
from services.commissioning.application.policies.on_package_review_decided import (
    on_package_review_decided,
)
from services.commissioning.application.policies.on_referral_accepted import on_referral_accepted
from services.commissioning.domain.aggregates import ProviderIndex, case_packages_uuid

PANEL: dict[type[IntegrationEvent], Handler] = {
    PackageRequested: on_package_requested,
    PackageReviewDecided: on_package_review_decided,
    CaseClosed: on_case_closed,
    LeadProfessionalAssigned: on_lead_professional_assigned,
}
REFERRAL: dict[type[IntegrationEvent], Handler] = {
    ConsentWithdrawn: on_consent_withdrawn,
    ReferralAccepted: on_referral_accepted,
}


def prefetch(d: Delivery[IntegrationEvent]) -> list[UUID]:
    """What a policy loads, read for the whole batch: the case's packages, the providers'
    index, and the package the event names (if it names one)."""
    ids = [case_packages_uuid(d.message.case_id), ProviderIndex.ID]
    named = getattr(d.message, "package_id", None)
    return [*ids, named] if isinstance(named, UUID) else ids


def subscriptions(panel_topic: str, referral_topic: str) -> list[Subscription]:
    return [
        on_events(panel_topic, PANEL, prefetch=prefetch),
        on_events(referral_topic, REFERRAL, prefetch=prefetch),
    ]
