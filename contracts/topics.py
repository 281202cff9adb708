"""The topic registry: every topic, its key, partitions, retention and messages, declared once.

Code, tests and the Kubernetes manifests (KafkaTopic resources) all read this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from contracts.events import IntegrationEvent
from contracts.events.audit import ChainAnchor
from contracts.events.commissioning import (
    CommissioningFailed,
    PackageCommissioned,
    PackageDecommissioned,
    PackageReviewed,
)
from contracts.events.notifications import NotificationFailed, NotificationSent
from contracts.events.panel import (
    AgendaCirculated,
    CaseClosed,
    CaseDeferred,
    CaseEscalated,
    CaseJoined,
    CaseListed,
    CasePaused,
    CaseReferredToSocialCare,
    CaseSteppedDown,
    CommissioningFailureListed,
    LeadProfessionalAssigned,
    PackageRequested,
    PackageReviewDecided,
    PanelMeetingScheduled,
    PlanAgreed,
    PlanReviewed,
    ReviewListed,
)
from contracts.events.referral import (
    ChildMatchConfirmed,
    ConsentRecorded,
    ConsentRecordedV2,
    ConsentWithdrawn,
    HouseholdLinked,
    PersonalDataErased,
    ReferralAccepted,
    ReferralDeclined,
    ReferralPendingConsent,
    ReferralReceived,
    ReferralReceivedV2,
    ReferralRedirectedToSocialCare,
    ReferralRejected,
    ReferralSubmission,
    SafeguardingBasisRecorded,
    SocialCareAnswered,
    SocialCareReferralMade,
)
from contracts.limits import (
    DEAD_LETTER_OVERHEAD_BYTES,
    EVENT_MESSAGE_BYTES,
    SUBMISSION_MESSAGE_BYTES,
)
from contracts.reference import Agency

KEEP_FOREVER = -1
SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000
THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000
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
    # The largest record (value, key and headers) the topic takes: the broker's
    # `max.message.bytes`, and the size past which a consumer dead-letters unread.
    max_message_bytes: int = EVENT_MESSAGE_BYTES

    @property
    def config(self) -> dict[str, str]:
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": "delete",
            "max.message.bytes": str(self.max_message_bytes),
        }

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
            max_message_bytes=self.max_message_bytes + DEAD_LETTER_OVERHEAD_BYTES,
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
        ReferralReceivedV2,
        ConsentRecordedV2,
        PersonalDataErased,
        # no longer published (they held the child's data): the topic's history holds them
        ReferralReceived,
        ConsentRecorded,
        ConsentWithdrawn,
        SafeguardingBasisRecorded,
        ReferralAccepted,
        ReferralPendingConsent,
        ReferralDeclined,
        ReferralRedirectedToSocialCare,
        ReferralRejected,
        ChildMatchConfirmed,
        HouseholdLinked,
        SocialCareReferralMade,
        SocialCareAnswered,
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
        CommissioningFailureListed,
        PackageReviewDecided,
        CaseJoined,
        PlanAgreed,
        PlanReviewed,
        CaseReferredToSocialCare,
        AgendaCirculated,
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
# they are kept only as long as it takes to be sure they were processed; their dead
# letters hold the same personal data and are kept no longer.
REFERRAL_SUBMISSIONS = TopicSpec(
    name="maag.referral.submissions",
    description="Agencies submit referrals here (the only topic with personal data).",
    owner="referral",
    key="submission_id",
    partitions=6,
    retention_ms=SEVEN_DAYS_MS,
    messages=(ReferralSubmission,),
    max_message_bytes=SUBMISSION_MESSAGE_BYTES,
)

# Every service's signed chain heads: the record of its history kept outside its database.
# Only the services' principals may write it (the KafkaUser ACLs), and it is never deleted:
# an anchor that could expire would let an old history be rewritten unseen.
CHAIN_ANCHORS = TopicSpec(
    name="maag.audit.anchors",
    description="Each service's hash-chain head, signed, at a fixed interval and as it stops.",
    owner="audit",
    key="service",
    partitions=1,
    retention_ms=KEEP_FOREVER,
    messages=(ChainAnchor,),
)

# Each integrating agency's own answers: the outcome of every referral it made, by event or
# by HTTP, and every rejected submission its system's token proved it sent. The referral
# service's relay writes them beside `maag.referral.events` (the same events, `ce_id` and
# key); the agency's KafkaUser reads its own topic and no other, so nothing about another
# agency's case reaches it. They are the agency's inbox, not the record: kept 30 days, long
# enough for a system down over a holiday to catch up, then gone.
OUTCOMES_PREFIX = "maag.referral.outcomes."
OUTCOME_MESSAGES: tuple[type[BaseModel], ...] = (
    ReferralAccepted,
    ReferralPendingConsent,
    ReferralDeclined,
    ReferralRedirectedToSocialCare,
    ReferralRejected,
    # what became of a case the agency referred that went to children's social care
    SocialCareReferralMade,
    SocialCareAnswered,
)


def _outcomes(agency: Agency) -> TopicSpec:
    return TopicSpec(
        name=f"{OUTCOMES_PREFIX}{agency.value}",
        description=f"The outcomes of the referrals {agency.value} made, and its rejected "
        "submissions; read by that agency's system only.",
        owner="referral",
        key="case_id",
        partitions=1,  # a county's referrals from one agency: one partition, one order
        retention_ms=THIRTY_DAYS_MS,
        messages=OUTCOME_MESSAGES,
    )


AGENCY_OUTCOMES: dict[Agency, TopicSpec] = {a: _outcomes(a) for a in Agency}
# Nobody inside MAAG consumes them: no dead letters.
OUTCOME_TOPICS: tuple[TopicSpec, ...] = tuple(AGENCY_OUTCOMES.values())


def outcomes_of(agency: str) -> TopicSpec | None:
    """The outcomes topic of an agency by its name, None for one that is not an agency."""
    try:
        return AGENCY_OUTCOMES[Agency(agency)]
    except ValueError:
        return None


# Children's social care's front door (the MASH): every case referred to it, for its own
# case system to pick up (the child's details are read from the referral service's API,
# each read recorded). The referral service's relay writes it beside `maag.referral.events`;
# only social care's system reads it. An inbox, not the record: kept 30 days.
FRONT_DOOR = TopicSpec(
    name="maag.referral.front-door",
    description="Cases referred to children's social care's front door (the MASH); read by "
    "social care's system only.",
    owner="referral",
    key="case_id",
    partitions=1,
    retention_ms=THIRTY_DAYS_MS,
    messages=(SocialCareReferralMade,),
)
# The agency whose case system reads the front door's topic.
FRONT_DOOR_AGENCY = Agency.SOCIAL_CARE


# Types the services publish no more, because they carried what identifies the child or is
# about their life: consumers still read them in the topics' older history.
NO_LONGER_PUBLISHED: frozenset[type[IntegrationEvent]] = frozenset(
    {ReferralReceived, ConsentRecorded}
)
# The identifying fields a published event may carry: pseudonymous ids that link a case to
# the same child's other cases and household (how the panels join cases). No name, date of
# birth, address, CAF reference or word about the family's life is ever published.
PUBLISHED_LINKS = frozenset(
    {
        "child_id",
        "previous_child_id",
        "joins_case_id",
        "household_id",
        "sibling_case_id",
        "sibling_child_id",
        "into_case_id",
    }
)

EVENT_TOPICS: tuple[TopicSpec, ...] = (
    REFERRAL_EVENTS,
    PANEL_EVENTS,
    COMMISSIONING_EVENTS,
    NOTIFICATION_EVENTS,
)
INBOUND_TOPICS: tuple[TopicSpec, ...] = (REFERRAL_SUBMISSIONS,)
AUDIT_TOPICS: tuple[TopicSpec, ...] = (CHAIN_ANCHORS,)  # nobody consumes it: no dead letters
ALL_TOPICS: tuple[TopicSpec, ...] = (
    *(t for base in (*EVENT_TOPICS, *INBOUND_TOPICS) for t in (base, base.dead_letters)),
    *AUDIT_TOPICS,
    *OUTCOME_TOPICS,
    FRONT_DOOR,
)


# Every published event type by its CloudEvents type name: the topics' messages, listed once.
EVENT_TYPES: dict[str, type[IntegrationEvent]] = {
    m.TYPE: m for t in EVENT_TOPICS for m in t.messages if issubclass(m, IntegrationEvent)
}


# A producer's batch never exceeds the smallest topic's limit (the broker refuses a whole
# batch over `max.message.bytes`, and aiokafka does not split one).
PRODUCER_BATCH_BYTES = min(t.max_message_bytes for t in ALL_TOPICS)


def max_message_bytes(topic: str) -> int:
    """The declared limit of a topic by its name (with any deployment prefix)."""
    for spec in ALL_TOPICS:
        if topic.endswith(spec.name):  # a deployment prefix may stand before it
            return spec.max_message_bytes
    return EVENT_MESSAGE_BYTES


def topic_of(event_type: type[IntegrationEvent]) -> TopicSpec:
    for spec in EVENT_TOPICS:
        if event_type in spec.messages:
            return spec
    raise LookupError(f"{event_type.TYPE} is on no topic in the registry")
