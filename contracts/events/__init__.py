"""Every published event type, by its CloudEvents type name."""

from __future__ import annotations

from contracts.events.base import Actor, IntegrationEvent
from contracts.events.commissioning import (
    CommissioningFailed,
    PackageCommissioned,
    PackageDecommissioned,
    PackageReviewed,
)
from contracts.events.notifications import NotificationFailed, NotificationSent
from contracts.events.panel import (
    CaseClosed,
    CaseDeferred,
    CaseEscalated,
    CaseListed,
    CasePaused,
    CaseSteppedDown,
    LeadProfessionalAssigned,
    PackageRequested,
    PanelMeetingScheduled,
    ReviewListed,
)
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
        PanelMeetingScheduled,
        CaseListed,
        LeadProfessionalAssigned,
        PackageRequested,
        CaseEscalated,
        CaseSteppedDown,
        CaseDeferred,
        CaseClosed,
        CasePaused,
        ReviewListed,
        PackageCommissioned,
        CommissioningFailed,
        PackageReviewed,
        PackageDecommissioned,
        NotificationSent,
        NotificationFailed,
    )
}

__all__ = ["EVENT_TYPES", "Actor", "IntegrationEvent"]
