"""What the referral service publishes for each of its domain events (the outbox translator).

`Received` is published without the child's details; internal events (reads, notes, data
protection) are not published at all. Every event class the service stores is one or the
other (`CLASSES`, checked against the aggregates when the service starts): the published
ones are exactly those with a translator in `TRANSLATORS`. An event the relay cannot
classify stops it rather than being skipped: a silent gap in the shared record is worse
than a loud stop.

The shared record, `maag.referral.events`, is the services' (every agency's cases are on
it). Each agency is told what it needs of its own referrals on its own outcomes topic
(`translator`): the triage outcomes of the referrals it made (and, for one referred to
children's social care, that it was and the front door's answer) and the rejections of the
records its system's token sent, as the service's own act and naming no other case. The
front door's own topic gets each referral made to it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from contracts.events import Actor, IntegrationEvent
from contracts.events.referral import (
    ChildMatchConfirmed,
    ConsentGiver,
    ConsentRecordedV2,
    ConsentWithdrawn,
    FieldProblem,
    HouseholdLinked,
    PersonalDataErased,
    ReferralAccepted,
    ReferralDeclined,
    ReferralPendingConsent,
    ReferralReceivedV2,
    ReferralRedirectedToSocialCare,
    ReferralRejected,
    SafeguardingBasisRecorded,
    SocialCareAnswered,
    SocialCareReferralMade,
)
from contracts.reference import Agency, Panel, Role, SocialCareAnswer, SocialCareRoute
from contracts.topics import FRONT_DOOR, TopicSpec, outcomes_of
from maag.runtime import causation
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import Outbound, Told, Translator, published_actor
from services.referral.domain.assessment import Assessment
from services.referral.domain.documents import CaseDocuments, Document
from services.referral.domain.notes import CaseNote
from services.referral.domain.referral import Referral, Rejection
from services.referral.domain.triage import Outcome

SYSTEM = Actor(user_id="referral-service", role=Role.SYSTEM, agency="maag")


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def _published(e: Any, event: type[IntegrationEvent], **fields: Any) -> Outbound:
    """`event` about `e`'s case, by whoever did `e` (the service, where nobody did), in the
    correlation `e` happened in."""
    return Outbound(
        event(
            case_id=e.originator_id,
            occurred_at=e.timestamp,
            actor=published_actor(e, SYSTEM),
            **fields,
        ),
        correlation_id=causation.correlation_of(e),
    )


def _received(e: Referral.Received) -> Outbound:
    # v2: nothing that identifies the child or is about their life leaves the service
    d = e.details
    return _published(
        e,
        ReferralReceivedV2,
        referring_agency=d["referring_agency"],
        referring_professional_id=d["referring_professional_id"],
        district=d["district"],
        agencies_requested=d["agencies_requested"],
        level_of_need=d["level_of_need"],
    )


def _consent_recorded(e: Referral.ConsentRecorded) -> Outbound:
    # v2: how it was obtained (free text about the family) stays here
    return _published(
        e,
        ConsentRecordedV2,
        given_by=ConsentGiver(e.given_by),
        scope=[Agency(a) for a in e.scope],
        given_on=date.fromisoformat(e.given_on),
    )


def _erased(e: Referral.PersonalDataErased) -> Outbound:
    """Told to every service that holds anything of the case's, so each destroys it."""
    return _published(e, PersonalDataErased, erased_on=date.fromisoformat(e.erased_on))


def _consent_withdrawn(e: Referral.ConsentWithdrawn) -> Outbound:
    return _published(
        e,
        ConsentWithdrawn,
        withdrawn_on=date.fromisoformat(e.withdrawn_on),
        continues_on_safeguarding_basis=e.basis_remains,
    )


def _safeguarding_basis_recorded(e: Referral.SafeguardingBasisRecorded) -> Outbound:
    # the professional's name and the reason stay here: they may name people
    return _published(
        e,
        SafeguardingBasisRecorded,
        professional_id=e.professional_id,
        recorded_on=date.fromisoformat(e.recorded_on),
    )


def _triaged(e: Referral.Triaged) -> Outbound:
    return OUTCOMES[Outcome(e.outcome)](e)


def _accepted(e: Referral.Triaged) -> Outbound:
    return _published(
        e,
        ReferralAccepted,
        district=e.district,
        panel=Panel.MAAG,
        level_of_need=e.level_of_need,
        agencies_requested=e.agencies_requested,
        reason=e.reason,
        joins_case_id=_uuid(e.joins_case_id),
        from_social_care=e.from_social_care,
    )


def _declined(e: Referral.Triaged) -> Outbound:
    return _published(e, ReferralDeclined, reason=e.reason, signposting=e.signposting or "")


def _redirected(e: Referral.Triaged) -> Outbound:
    return _published(e, ReferralRedirectedToSocialCare, district=e.district, reason=e.reason)


def _pending_consent(e: Referral.Triaged) -> Outbound:
    return _published(e, ReferralPendingConsent, reason=e.reason)


# Each triage outcome's own published event.
OUTCOMES: dict[Outcome, Callable[[Referral.Triaged], Outbound]] = {
    Outcome.ACCEPTED: _accepted,
    Outcome.DECLINED: _declined,
    Outcome.REDIRECTED_TO_SOCIAL_CARE: _redirected,
    Outcome.PENDING_CONSENT: _pending_consent,
}


def _sent_to_front_door(e: Referral.SentToFrontDoor) -> Outbound:
    return _published(
        e,
        SocialCareReferralMade,
        district=e.district,
        referring_agency=e.referring_agency,
        route=SocialCareRoute(e.route),
        reason=e.reason,
    )


def _front_door_answered(e: Referral.FrontDoorAnswered) -> Outbound:
    # social care's reason and record number stay here: they are about the child
    return _published(
        e,
        SocialCareAnswered,
        district=e.district,
        answer=SocialCareAnswer(e.answer),
        route=SocialCareRoute(e.route),
    )


def _match_resolved(e: Referral.ChildMatchResolved) -> Outbound | None:
    if not e.confirmed or e.child_id is None:  # rejected: nobody else's business; or erased
        return None
    return _published(
        e,
        ChildMatchConfirmed,
        child_id=UUID(e.child_id),
        previous_child_id=_uuid(e.previous_child_id),
        joins_case_id=_uuid(e.joins_case_id),
    )


def _household_linked(e: Referral.HouseholdLinked) -> Outbound | None:
    if (
        e.household_id is None
        or e.child_id is None
        or e.sibling_case_id is None
        or e.sibling_child_id is None
    ):
        return None  # erased before it was relayed: the link went with the case's data
    return _published(
        e,
        HouseholdLinked,
        child_id=UUID(e.child_id),
        household_id=UUID(e.household_id),
        sibling_case_id=UUID(e.sibling_case_id),
        sibling_child_id=UUID(e.sibling_child_id),
    )


def _rejected(e: Rejection.Rejected) -> Outbound:
    """The agency's answer: the service's own act, in the submission's correlation."""
    return Outbound(
        ReferralRejected(
            case_id=e.originator_id,
            occurred_at=e.timestamp,
            actor=SYSTEM,
            submission_id=e.submission_id,
            referring_agency=e.referring_agency,
            source_partition=e.partition,
            source_offset=e.offset,
            problems=[FieldProblem(**p) for p in e.problems],
        ),
        correlation_id=e.submission_id or str(e.originator_id),
    )


# Each published event class and what it publishes.
TRANSLATORS: dict[type, Callable[[Any], Outbound | None]] = {
    Referral.Received: _received,
    Referral.ConsentRecorded: _consent_recorded,
    Referral.ConsentWithdrawn: _consent_withdrawn,
    Referral.SafeguardingBasisRecorded: _safeguarding_basis_recorded,
    Referral.Triaged: _triaged,
    Referral.ChildMatchResolved: _match_resolved,
    Referral.HouseholdLinked: _household_linked,
    Referral.PersonalDataErased: _erased,
    Referral.SentToFrontDoor: _sent_to_front_door,
    Referral.FrontDoorAnswered: _front_door_answered,
    Rejection.Rejected: _rejected,
}

# Facts the referral keeps for itself: the panel published the lead professional already.
INTERNAL = (
    Referral.Viewed,
    Referral.LeadProfessionalNoted,
    Referral.LeadProfessionalEnded,
    Referral.TierNoted,
    Referral.ClosedAtPanel,
    # Holds and their reasons stay in the referral service (the erasure itself is told).
    Referral.LegalHoldPlaced,
    Referral.LegalHoldReleased,
    # Offers and rejected matches stay: only a confirmed link is anyone else's business.
    Referral.MatchesOffered,
    # The child's record (their birth recorded) is sealed under the case's key, read here.
    Referral.ChildRecordChanged,
    # A case note is sealed under the case's key and read only here (chronology, subject
    # access); no other service has any use for it, and its text must not travel.
    CaseNote.Written,
    CaseNote.Superseded,
    # The Early Help Assessment likewise: sealed under the case's key, read only here.
    Assessment.Started,
    Assessment.VersionRecorded,
    Assessment.Authorised,
    Assessment.Reviewed,
    Assessment.Closed,
    # A document is sealed under the case's key and read only here, as a note is.
    Document.Uploaded,
    Document.Opened,
    CaseDocuments.Started,
    CaseDocuments.Filed,
)
PUBLISHED = tuple(TRANSLATORS)
CLASSES = EventClasses(published=PUBLISHED, internal=INTERNAL)


def translate(e: Any) -> Outbound | None:
    """What `e` publishes on the shared record, `maag.referral.events` (the services')."""
    return TRANSLATORS[type(e)](e)


# --- the agencies' own outcomes (contracts.topics.AGENCY_OUTCOMES) ---

# A referral's agency, looked up by case id in the store (its `Received`): for an outcome of
# a referral received before the relay's last start.
AgencyOf = Callable[[UUID], str]


class ReferringAgencies:
    """Which agency made each referral, for the relay to tell it the outcome: remembered as
    the relay passes each `Received` (a referral's outcome almost always follows in the same
    batch), looked up otherwise. Bounded: a county's open referrals, not its history."""

    def __init__(self, lookup: AgencyOf, size: int = 10_000) -> None:
        self.lookup = lookup
        self.size = size
        self.known: OrderedDict[UUID, str] = OrderedDict()

    def remember(self, case_id: UUID, agency: str) -> None:
        self.known[case_id] = agency
        self.known.move_to_end(case_id)
        if len(self.known) > self.size:
            self.known.popitem(last=False)

    def __call__(self, case_id: UUID) -> str:
        found = self.known.get(case_id)
        if found is None:
            found = self.lookup(case_id)
            self.remember(case_id, found)
        return found


def _told(out: Outbound, agency: str | None, *more: TopicSpec) -> Outbound:
    """`out` with its copy for `agency`'s outcomes topic (and for each of `more`): the
    service's own act (whoever's command led to it is no business of the agency), about the
    agency's case alone (a case an accepted referral joins may be another agency's: not
    named)."""
    topic = outcomes_of(agency) if agency else None
    topics = ((topic,) if topic else ()) + more  # none: no agency proved it sent it
    update: dict[str, Any] = {"actor": SYSTEM}
    if isinstance(out.event, ReferralAccepted):
        update["joins_case_id"] = None
    told = out.event.model_copy(update=update)
    return replace(out, told=tuple(Told(t, told) for t in topics)) if topics else out


def translator(agency_of: AgencyOf) -> Translator:
    """`translate`, with each outcome also told to the agency that made the referral (or
    sent the rejected submission) on its own outcomes topic, and nothing else told to it."""
    agencies = ReferringAgencies(agency_of)

    def translate_and_tell(e: Any) -> Outbound | None:
        out = translate(e)
        if isinstance(e, Referral.Received):
            agencies.remember(e.originator_id, str(e.details["referring_agency"]))
        elif isinstance(e, Referral.Triaged | Referral.FrontDoorAnswered) and out is not None:
            return _told(out, agencies(e.originator_id))
        elif isinstance(e, Referral.SentToFrontDoor) and out is not None:
            # the front door's own inbox, and the referrer told what happened
            return _told(out, e.referring_agency, FRONT_DOOR)
        elif isinstance(e, Rejection.Rejected) and out is not None:
            return _told(out, e.referring_agency)
        return out

    return translate_and_tell
