"""What the referral service publishes for each of its domain events (the outbox translator).

`Received` is published without the child's details; internal events (reads, notes, data
protection) are not published at all. Every event class the service stores is one or the
other (`CLASSES`, checked against the aggregates when the service starts); an event the
relay cannot classify stops it rather than being skipped: a silent gap in the shared record
is worse than a loud stop.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from contracts.events import Actor, IntegrationEvent
from contracts.events.referral import (
    ChildMatchConfirmed,
    ConsentGiver,
    ConsentRecorded,
    ConsentWithdrawn,
    FieldProblem,
    HouseholdLinked,
    ReferralAccepted,
    ReferralDeclined,
    ReferralPendingConsent,
    ReferralReceived,
    ReferralRedirectedToSocialCare,
    ReferralRejected,
    SafeguardingBasisRecorded,
)
from contracts.reference import Agency, Panel, Role
from maag.runtime import causation
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import Outbound, published_actor
from services.referral.domain.notes import CaseNote
from services.referral.domain.referral import Referral, Rejection
from services.referral.domain.triage import Outcome

SYSTEM = Actor(user_id="referral-service", role=Role.SYSTEM, agency="maag")
# Facts the referral keeps for itself: the panel published the lead professional already.
INTERNAL = (
    Referral.Viewed,
    Referral.LeadProfessionalNoted,
    Referral.LeadProfessionalEnded,
    Referral.TierNoted,
    Referral.ClosedAtPanel,
    # Data protection stays in the referral service: no other holds the child's details.
    Referral.PersonalDataErased,
    Referral.LegalHoldPlaced,
    Referral.LegalHoldReleased,
    # Offers and rejected matches stay: only a confirmed link is anyone else's business.
    Referral.MatchesOffered,
    # A case note is sealed under the case's key and read only here (chronology, subject
    # access); no other service has any use for it, and its text must not travel.
    CaseNote.Written,
    CaseNote.Superseded,
)


PUBLISHED = (
    Referral.Received,
    Referral.ConsentRecorded,
    Referral.ConsentWithdrawn,
    Referral.SafeguardingBasisRecorded,
    Referral.Triaged,
    Referral.ChildMatchResolved,
    Referral.HouseholdLinked,
    Rejection.Rejected,
)
CLASSES = EventClasses(published=PUBLISHED, internal=INTERNAL)


def translate(e: Any) -> Outbound | None:
    if isinstance(e, Referral.ChildMatchResolved) and not e.confirmed:
        return None
    base: dict[str, Any] = {"case_id": e.originator_id, "occurred_at": e.timestamp}
    if isinstance(e, Rejection.Rejected):
        return Outbound(
            ReferralRejected(
                **base,
                actor=SYSTEM,
                submission_id=e.submission_id,
                referring_agency=e.referring_agency,
                source_partition=e.partition,
                source_offset=e.offset,
                problems=[FieldProblem(**p) for p in e.problems],
            ),
            correlation_id=e.submission_id or str(e.originator_id),
        )
    base["actor"] = published_actor(e, SYSTEM)
    event: IntegrationEvent
    if isinstance(e, Referral.Received):
        d = e.details
        event = ReferralReceived(
            **base,
            caf_reference=d["caf_reference"],
            referring_agency=d["referring_agency"],
            referring_professional_id=d["referring_professional_id"],
            district=d["district"],
            needs=d["needs"],
            agencies_requested=d["agencies_requested"],
            level_of_need=d["level_of_need"],
            significant_harm_concern=d["significant_harm_concern"],
            transition=d["transition"],
            child_id=_uuid(e.child_id),
        )
    elif isinstance(e, Referral.ChildMatchResolved):
        event = ChildMatchConfirmed(
            **base,
            child_id=UUID(e.child_id),
            previous_child_id=_uuid(e.previous_child_id),
            joins_case_id=_uuid(e.joins_case_id),
        )
    elif isinstance(e, Referral.HouseholdLinked):
        event = HouseholdLinked(
            **base,
            child_id=UUID(e.child_id),
            household_id=UUID(e.household_id),
            sibling_case_id=UUID(e.sibling_case_id),
            sibling_child_id=UUID(e.sibling_child_id),
        )
    elif isinstance(e, Referral.ConsentRecorded):
        event = ConsentRecorded(
            **base,
            given_by=ConsentGiver(e.given_by),
            scope=[Agency(a) for a in e.scope],
            given_on=date.fromisoformat(e.given_on),
            how_obtained=e.how_obtained,
        )
    elif isinstance(e, Referral.ConsentWithdrawn):
        event = ConsentWithdrawn(
            **base,
            withdrawn_on=date.fromisoformat(e.withdrawn_on),
            continues_on_safeguarding_basis=e.basis_remains,
        )
    elif isinstance(e, Referral.SafeguardingBasisRecorded):
        event = SafeguardingBasisRecorded(
            **base, professional_id=e.professional_id, recorded_on=date.fromisoformat(e.recorded_on)
        )
    else:
        event = _outcome(e, base)
    return Outbound(event, correlation_id=causation.correlation_of(e))


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def _outcome(e: Any, base: dict[str, Any]) -> IntegrationEvent:
    outcome = Outcome(e.outcome)
    if outcome is Outcome.ACCEPTED:
        return ReferralAccepted(
            **base,
            district=e.district,
            panel=Panel.MAAG,
            level_of_need=e.level_of_need,
            agencies_requested=e.agencies_requested,
            reason=e.reason,
            joins_case_id=_uuid(e.joins_case_id),
        )
    if outcome is Outcome.DECLINED:
        return ReferralDeclined(**base, reason=e.reason, signposting=e.signposting or "")
    if outcome is Outcome.REDIRECTED_TO_SOCIAL_CARE:
        return ReferralRedirectedToSocialCare(**base, district=e.district, reason=e.reason)
    return ReferralPendingConsent(**base, reason=e.reason)
