"""Every published event type, by its CloudEvents type name."""

from __future__ import annotations

from contracts.events.base import Actor, IntegrationEvent
from contracts.events.commissioning import PackageCommissioned, PackageDecommissioned
from contracts.events.panel import LeadProfessionalAssigned
from contracts.events.referral import (
    ConsentRecorded,
    ConsentWithdrawn,
    ReferralAccepted,
    ReferralDeclined,
    ReferralPendingConsent,
    ReferralReceived,
    ReferralRedirectedToSocialCare,
    ReferralRejected,
    SafeguardingBasisRecorded,
)

EVENT_TYPES: dict[str, type[IntegrationEvent]] = {
    cls.TYPE: cls
    for cls in (
        ReferralReceived,
        ConsentRecorded,
        ConsentWithdrawn,
        SafeguardingBasisRecorded,
        ReferralAccepted,
        ReferralPendingConsent,
        ReferralDeclined,
        ReferralRedirectedToSocialCare,
        ReferralRejected,
        LeadProfessionalAssigned,
        PackageCommissioned,
        PackageDecommissioned,
    )
}

__all__ = ["EVENT_TYPES", "Actor", "IntegrationEvent"]
