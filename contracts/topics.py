"""The topic registry: every topic, its key, partitions, retention and messages, declared once.

Code, tests and the Kubernetes manifests (KafkaTopic resources) all read this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from contracts.events import IntegrationEvent
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
    ReferralSubmission,
    SafeguardingBasisRecorded,
)

KEEP_FOREVER = -1
SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000
DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    description: str
    owner: str
    key: str
    partitions: int
    retention_ms: int
    messages: tuple[type[BaseModel], ...] = field(default=())

    @property
    def config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": "delete"}

    def named(self, prefix: str = "") -> str:
        return f"{prefix}{self.name}"

    @property
    def dead_letters(self) -> TopicSpec:
        return TopicSpec(
            name=self.name + DLQ_SUFFIX,
            description=f"Messages from `{self.name}` a consumer could not process, with the reason.",
            owner=self.owner,
            key=self.key,
            partitions=1,
            retention_ms=self.retention_ms,
        )


# Event topics keep everything: they are the cross-service record auditors replay.
REFERRAL_EVENTS = TopicSpec(
    name="maag.referral.events",
    description="Outcomes of referrals: received, consent, triage decisions.",
    owner="referral",
    key="case_id",
    partitions=6,
    retention_ms=KEEP_FOREVER,
    messages=(
        ReferralReceived,
        ConsentRecorded,
        ConsentWithdrawn,
        SafeguardingBasisRecorded,
        ReferralAccepted,
        ReferralPendingConsent,
        ReferralDeclined,
        ReferralRedirectedToSocialCare,
        ReferralRejected,
    ),
)
PANEL_EVENTS = TopicSpec(
    name="maag.panel.events",
    description="Panel decisions: listings, lead professionals, packages requested, escalations.",
    owner="panel",
    key="case_id",
    partitions=6,
    retention_ms=KEEP_FOREVER,
    messages=(
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
    ),
)
COMMISSIONING_EVENTS = TopicSpec(
    name="maag.commissioning.events",
    description="Packages commissioned, reviewed and decommissioned.",
    owner="commissioning",
    key="case_id",
    partitions=6,
    retention_ms=KEEP_FOREVER,
    messages=(PackageCommissioned, CommissioningFailed, PackageReviewed, PackageDecommissioned),
)
NOTIFICATION_EVENTS = TopicSpec(
    name="maag.notifications.events",
    description="Emails sent to lead professionals and providers, or why they could not be.",
    owner="notifications",
    key="case_id",
    partitions=6,
    retention_ms=KEEP_FOREVER,
    messages=(NotificationSent, NotificationFailed),
)
# Submissions carry a child's personal data on their way into the referral service, so
# they are kept only as long as it takes to be sure they were processed.
REFERRAL_SUBMISSIONS = TopicSpec(
    name="maag.referral.submissions",
    description="Agencies submit referrals here (the only topic with personal data).",
    owner="referral",
    key="submission_id",
    partitions=6,
    retention_ms=SEVEN_DAYS_MS,
    messages=(ReferralSubmission,),
)

EVENT_TOPICS: tuple[TopicSpec, ...] = (
    REFERRAL_EVENTS,
    PANEL_EVENTS,
    COMMISSIONING_EVENTS,
    NOTIFICATION_EVENTS,
)
INBOUND_TOPICS: tuple[TopicSpec, ...] = (REFERRAL_SUBMISSIONS,)
ALL_TOPICS: tuple[TopicSpec, ...] = tuple(
    t for base in (*EVENT_TOPICS, *INBOUND_TOPICS) for t in (base, base.dead_letters)
)


# Every published event type by its CloudEvents type name: the topics' messages, listed once.
EVENT_TYPES: dict[str, type[IntegrationEvent]] = {
    m.TYPE: m for t in EVENT_TOPICS for m in t.messages if issubclass(m, IntegrationEvent)
}


def topic_of(event_type: type[IntegrationEvent]) -> TopicSpec:
    for spec in EVENT_TOPICS:
        if event_type in spec.messages:
            return spec
    raise LookupError(f"{event_type.TYPE} is on no topic in the registry")
