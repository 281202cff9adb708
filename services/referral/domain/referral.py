"""The Referral aggregate: one case, from submission through consent to triage outcome,
and what data protection asks of it: a legal hold, and the erasure of the child's details.

Each event is declared once, with its state change (`apply`, which the library calls both
when the event happens and when the referral is loaded). Attributes of stored events are
plain JSON types (str, int, bool, list, dict) so the store's transcoder needs nothing
special; `apply` turns them into the values of `services.referral.domain.values`. The
child's details arrive already sealed under the case's own data key (`sealed_child`: the
application seals them, `services.referral.application.personal`); erasing destroys that
key. Who acted and the correlation id are the events' metadata, given by the runtime
(`maag.runtime.causation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import cached_property
from typing import Annotated, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import IDENTIFYING, OPERATIONAL, SPECIAL, THIRD_PARTY, Parts
from contracts.events.referral import ConsentGiven, ReferralDetails
from contracts.reference import SocialCareAnswer, SocialCareRoute
from services.referral.domain.child_record import BIRTH_RECORDED
from services.referral.domain.consent_review import reconfirm_by
from services.referral.domain.retention import RetentionOutcome
from services.referral.domain.triage import Decision, Outcome, triage
from services.referral.domain.values import (
    Channel,
    Closure,
    Erasure,
    FrontDoor,
    LeadProfessional,
    LegalHold,
    Match,
    MatchStatus,
    Offer,
    ReferralConflict,
    SafeguardingBasis,
    Status,
    Submitted,
    consent_stored,
)

CASE_NAMESPACE = UUID("6f1c1d8e-3c55-4f8e-9a37-0c1f5a1d2b10")
CHILD_NAMESPACE = UUID("0d3c9a52-6e1f-4b6a-8f0e-5b7f2e9c1a47")
TERMINAL = {Outcome.REDIRECTED_TO_SOCIAL_CARE, Outcome.DECLINED}
# How a case the panel never closed ended, for the retention schedule (accepted: still open).
_ENDED_AS = {
    Outcome.DECLINED: RetentionOutcome.DECLINED,
    Outcome.REDIRECTED_TO_SOCIAL_CARE: RetentionOutcome.REDIRECTED_TO_SOCIAL_CARE,
    Outcome.PENDING_CONSENT: RetentionOutcome.PENDING_CONSENT,
}


def new_child_id(case_id: UUID) -> UUID:
    """A new child's pseudonymous id, made from the referral that first named them."""
    return uuid5(CHILD_NAMESPACE, str(case_id))


def household_id_for(child_a: UUID, child_b: UUID) -> UUID:
    return uuid5(CHILD_NAMESPACE, "household:" + ":".join(sorted((str(child_a), str(child_b)))))


def case_id_for(agency: str, submission_key: str) -> UUID:
    """The same agency and key always name the same case: retries find it, never duplicate it."""
    return uuid5(CASE_NAMESPACE, f"{agency}:{submission_key}")


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


class LegalHoldInForce(ReferralConflict):
    """Erasure refused: the case is under a legal hold."""


class Referral(Aggregate):
    class Received(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]
        # v2: without the child, who is in `sealed_child`; its withheld parts (the CAF
        # reference, needs, harm, transition, consent) sealed under the case's key
        details: Annotated[dict[str, Any], SPECIAL, Parts(ReferralDetails)]
        fingerprint: Annotated[str | None, IDENTIFYING]  # v2: keyed with the case's data key
        channel: Annotated[str, OPERATIONAL]
        sealed_child: Annotated[str | None, IDENTIFYING]
        # v3: the child's pseudonymous id (the child index's)
        child_id: Annotated[str | None, IDENTIFYING]
        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1 kept the child in `details`, under the store's key only, and an unkeyed
            # fingerprint of the whole submission
            state["sealed_child"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            # received before the child index: no child record
            state["child_id"] = None

    class MatchesOffered(Aggregate.Event):
        """The child index found children this referral's child is likely to be: offered
        to a person to confirm or reject (nothing is linked until one does)."""

        offers: Annotated[list[dict[str, Any]] | None, IDENTIFYING]  # {child_id, case_ids, keys}

        def apply(self, aggregate: Referral) -> None:
            for found in map(Offer.stored, self.offers or ()):  # None: erased
                aggregate.offers[found.child_id] = Match(found)

    class ChildMatchResolved(Aggregate.Event):
        """A person decided whether an offered child is this referral's: confirmed, the
        referral is that child's (and joins their open case, if any)."""

        child_id: Annotated[str | None, IDENTIFYING]
        confirmed: Annotated[bool, OPERATIONAL]
        previous_child_id: Annotated[str | None, IDENTIFYING]
        joins_case_id: Annotated[str | None, IDENTIFYING]
        reason: Annotated[str | None, SPECIAL]

        def apply(self, aggregate: Referral) -> None:
            if self.child_id is None:  # erased: the link to the child with it
                return
            child_id = UUID(self.child_id)
            if child_id in aggregate.offers:
                aggregate.offers[child_id] = aggregate.offers[child_id].decided(self.confirmed)
            if self.confirmed:
                aggregate.child_id = child_id
                aggregate.joins_case_id = _uuid(self.joins_case_id)

    class HouseholdLinked(Aggregate.Event):
        """This referral's child and another referral's are siblings in one household."""

        household_id: Annotated[str | None, IDENTIFYING]
        child_id: Annotated[str | None, IDENTIFYING]
        sibling_case_id: Annotated[str | None, IDENTIFYING]
        sibling_child_id: Annotated[str | None, IDENTIFYING]

        def apply(self, aggregate: Referral) -> None:
            if self.household_id is None:  # erased: the link to the household with it
                return
            aggregate.household_id = UUID(self.household_id)
            aggregate.siblings[UUID(self.sibling_case_id)] = UUID(self.sibling_child_id)

    class ChildRecordChanged(Aggregate.Event):
        """The child's record changed (their birth recorded): the new record, sealed under
        the case's data key like the first."""

        sealed_child: Annotated[str | None, IDENTIFYING]
        why: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.sealed_child = self.sealed_child
            if self.why == BIRTH_RECORDED:
                aggregate.referred_unborn = True

    class PersonalDataErased(Aggregate.Event):
        """The case's data key was destroyed: the child's details can no longer be read."""

        reason: Annotated[str, OPERATIONAL]
        erased_on: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.erased = Erasure(self.reason, date.fromisoformat(self.erased_on))
            aggregate.sealed_child = None
            # a v1 referral's, held in its details under the store's key only
            aggregate.clear_child = None
            aggregate._submitted = {k: v for k, v in aggregate._submitted.items() if k != "child"}

    class LegalHoldPlaced(Aggregate.Event):
        reason: Annotated[str, OPERATIONAL]
        until: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.hold = LegalHold(self.reason, date.fromisoformat(self.until))

    class LegalHoldReleased(Aggregate.Event):
        reason: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.hold = None

    class ClosedAtPanel(Aggregate.Event):
        """The panel closed the case (when its retention period starts)."""

        reason: Annotated[str, OPERATIONAL]
        closed_on: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.closed = Closure(self.reason, date.fromisoformat(self.closed_on))

    class ConsentRecorded(Aggregate.Event):
        given_by: Annotated[str, OPERATIONAL]
        scope: Annotated[list[str], OPERATIONAL]
        given_on: Annotated[str, OPERATIONAL]
        how_obtained: Annotated[str | None, SPECIAL]
        # v2: the person who gave it, by name (a recorded parent or carer, or the young person)
        given_by_name: Annotated[str | None, IDENTIFYING]
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["given_by_name"] = None  # recorded before consent named the person

        def apply(self, aggregate: Referral) -> None:
            aggregate.consent = consent_stored(
                self.given_by, self.scope, self.given_on, self.how_obtained, self.given_by_name
            )

    class ConsentWithdrawn(Aggregate.Event):
        withdrawn_on: Annotated[str, OPERATIONAL]
        reason: Annotated[str | None, SPECIAL]
        # whether the case goes on without consent: what was decided (it pauses or not)
        basis_remains: Annotated[bool, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.consent = None
            if aggregate.outcome is Outcome.ACCEPTED and not self.basis_remains:
                aggregate.paused = True

    class SafeguardingBasisRecorded(Aggregate.Event):
        professional_id: Annotated[str, THIRD_PARTY]
        professional_name: Annotated[str, THIRD_PARTY]
        reason: Annotated[str | None, SPECIAL]
        recorded_on: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.safeguarding_basis = SafeguardingBasis(
                self.professional_id,
                self.professional_name,
                self.reason,
                date.fromisoformat(self.recorded_on),
            )

    class Triaged(Aggregate.Event):
        outcome: Annotated[str, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]
        signposting: Annotated[str | None, OPERATIONAL]
        district: Annotated[str, OPERATIONAL]
        level_of_need: Annotated[int, OPERATIONAL]
        agencies_requested: Annotated[list[str], OPERATIONAL]
        # v2: accepted for a child whose open case it joins
        joins_case_id: Annotated[str | None, IDENTIFYING]
        # v3: decided after children's social care stepped the case down
        from_social_care: Annotated[bool, OPERATIONAL]
        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["joins_case_id"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["from_social_care"] = False

        def apply(self, aggregate: Referral) -> None:
            aggregate.outcome = Outcome(self.outcome)
            aggregate.outcome_reason = self.reason
            aggregate.signposting = self.signposting
            aggregate.paused = False

    class SentToFrontDoor(Aggregate.Event):
        """Referred to children's social care's front door (the MASH): at triage, for a
        concern of significant harm, or by a panel's decision on the open case."""

        route: Annotated[str, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]
        district: Annotated[str, OPERATIONAL]
        referring_agency: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.front_door = FrontDoor(
                SocialCareRoute(self.route), self.reason, self.timestamp
            )

    class FrontDoorAnswered(Aggregate.Event):
        """The front door took the case on, or stepped it down into the district's MAAG."""

        answer: Annotated[str, OPERATIONAL]
        district: Annotated[str, OPERATIONAL]
        route: Annotated[str, OPERATIONAL]
        reason: Annotated[str | None, SPECIAL]  # social care's words about the child
        reference: Annotated[str | None, IDENTIFYING]  # social care's record of the child

        def apply(self, aggregate: Referral) -> None:
            door = aggregate.front_door
            if (
                door is not None
                and door.route is SocialCareRoute.SIGNIFICANT_HARM
                and self.answer == SocialCareAnswer.STEPPED_DOWN
            ):
                aggregate.harm_assessed = True
            if aggregate.front_door is not None:
                aggregate.front_door = replace(
                    aggregate.front_door,
                    answer=SocialCareAnswer(self.answer),
                    answered_at=self.timestamp,
                    answer_reason=self.reason,
                    reference=self.reference,
                )

    class LeadProfessionalNoted(Aggregate.Event):
        """The panel named the case's lead professional: they may read the case (and the
        child's details, as consent or a safeguarding basis allows) while it stands."""

        professional_id: Annotated[str, THIRD_PARTY]
        agency: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.lead = LeadProfessional(self.professional_id, self.agency)

    class LeadProfessionalEnded(Aggregate.Event):
        reason: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.lead = None

    class TierNoted(Aggregate.Event):
        """The panel moved the case to another tier (who sits on it may act on it here)."""

        panel: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Referral) -> None:
            aggregate.moved_to = self.panel

    class Viewed(Aggregate.Event):
        """A read, as recorded on the referral before reads had aggregates of their own
        (`maag.runtime.evidence.reads`): it changes nothing, but such referrals must load."""

        actor: Annotated[dict[str, str], THIRD_PARTY]
        with_personal_data: Annotated[bool, OPERATIONAL]
        at: Annotated[str, OPERATIONAL]

    @event(Received)
    def __init__(
        self,
        case_id: UUID,
        details: dict[str, Any],
        fingerprint: str,
        channel: str,
        sealed_child: str | None,
        child_id: str | None = None,
    ) -> None:
        self._submitted = details  # as stored, never published: read as `details`
        # a v1 referral's child, in its details under the store's key only (v2 seals it)
        self.clear_child: dict[str, str] | None = details.get("child")
        self.fingerprint = fingerprint
        self.channel = Channel(channel)
        self.sealed_child = sealed_child  # the child's details, under the case's data key
        self.child_id = _uuid(child_id)
        self.offers: dict[UUID, Match] = {}  # by the offered child's id
        # referred before birth, and born since (the record holds the date of birth now)
        self.referred_unborn = False
        self.joins_case_id: UUID | None = None
        self.household_id: UUID | None = None
        self.siblings: dict[UUID, UUID] = {}  # sibling case id -> their child id
        self.erased: Erasure | None = None
        self.hold: LegalHold | None = None
        self.closed: Closure | None = None
        self.consent: ConsentGiven | None = None
        self.safeguarding_basis: SafeguardingBasis | None = None
        self.outcome: Outcome | None = None
        self.outcome_reason: str | None = None
        self.signposting: str | None = None
        self.paused = False
        self.lead: LeadProfessional | None = None
        self.moved_to: str | None = None  # the tier, once the panel escalated or stepped down
        self.front_door: FrontDoor | None = None  # referred to children's social care
        # social care assessed the concern of significant harm and stepped the case down:
        # triage does not send it back for that concern again
        self.harm_assessed = False

    @staticmethod
    def create_id(case_id: UUID, **_: Any) -> UUID:
        return case_id

    # --- reading ---

    @cached_property
    def details(self) -> Submitted:
        """What the referrer submitted (read when first asked, so that a referral always
        loads, whatever its details' version)."""
        return Submitted.stored(self._submitted)

    @property
    def agency(self) -> str:
        return self.details.referring_agency.value

    @property
    def district(self) -> str:
        return self.details.district.value

    @property
    def tier(self) -> str | None:
        """The panel holding the case: an accepted referral goes to its district's MAAG,
        until the panel moves it."""
        if self.moved_to is not None:
            return self.moved_to
        return "maag" if self.outcome is Outcome.ACCEPTED else None

    @property
    def status(self) -> Status:
        if self.outcome is None:
            return Status.RECEIVED
        if self.outcome is Outcome.ACCEPTED and self.paused:
            return Status.PAUSED
        return Status(self.outcome.value)

    @property
    def ended_as(self) -> RetentionOutcome | None:
        """How the case ended, for the retention schedule (None: it is still open)."""
        if self.closed is not None:
            return RetentionOutcome.CLOSED
        return _ENDED_AS.get(self.outcome) if self.outcome is not None else None

    @property
    def consent_reconfirm_by(self) -> date | None:
        """When the consent in force is due to be reconfirmed with the family
        (`consent_review`); None when there is nothing to reconfirm: no consent in force, or
        the case is not open (declined, redirected, closed, taken on by children's social
        care, or its details erased)."""
        if self.consent is None or self.outcome is not Outcome.ACCEPTED or self.paused:
            return None
        if self.closed is not None or self.erased is not None:
            return None
        door = self.front_door
        if door is not None and door.answer is SocialCareAnswer.ACCEPTED:
            return None
        return reconfirm_by(self.consent.given_on)

    def hold_in_force(self, today: date) -> bool:
        return self.hold is not None and self.hold.in_force(today)

    def shares_with(self, agency: str) -> bool:
        """Whether the child's details may go to a professional of `agency` other than the
        referrer's: the recorded consent names that agency, or a safeguarding basis is on
        record. A withdrawal of consent ends it at once."""
        if self.safeguarding_basis is not None:
            return True
        return self.consent is not None and agency in self.consent.scope

    # --- commands ---

    @classmethod
    def receive(
        cls,
        case_id: UUID,
        details: ReferralDetails,
        channel: str,
        sealed_child: str,
        fingerprint: str,
        child_id: UUID | None = None,
        offers: Sequence[Offer] = (),
    ) -> Referral:
        """`sealed_child`: the child's details sealed under the case's data key;
        `fingerprint`: the submission's, keyed with it; `child_id`: the child index's id
        for the child, and `offers`: children they are likely to be (to be confirmed)."""
        referral = cls(
            case_id=case_id,
            details=details.model_dump(mode="json", exclude={"child"}),
            fingerprint=fingerprint,
            channel=Channel(channel).value,
            sealed_child=sealed_child,
            child_id=str(child_id or new_child_id(case_id)),
        )
        if offers:
            referral.trigger_event(cls.MatchesOffered, offers=[o.to_json() for o in offers])
        if details.consent is not None:
            referral.record_consent(details.consent)
        else:
            referral._triage()
        return referral

    def require_personal_details(self, then: str) -> None:
        """Refused once the case's personal details were erased: what would be written is
        sealed under the case's data key, and a key made anew would let it outlive the
        erasure. `then` says what can no longer be done."""
        if self.erased is not None:
            raise ReferralConflict(
                f"case_id: case {self.id}'s personal details were erased: {then}"
            )

    def change_child_record(self, sealed_child: str, why: str, offers: Sequence[Offer]) -> None:
        """The child's record as it is now (sealed), and the children it may now be found to
        be (offered to a person to confirm, as at the referral)."""
        self.require_personal_details("the child's record can no longer be changed")
        self.trigger_event(self.ChildRecordChanged, sealed_child=sealed_child, why=why)
        fresh = [o for o in offers if o.child_id not in self.offers and o.child_id != self.child_id]
        if fresh:
            self.trigger_event(self.MatchesOffered, offers=[o.to_json() for o in fresh])

    def record_consent(self, consent: ConsentGiven) -> None:
        self._refuse_if_closed("record consent")
        if not consent.scope:
            raise ReferralConflict("consent must name at least one agency that may share")
        self.trigger_event(
            self.ConsentRecorded,
            given_by=consent.given_by.value,
            scope=[a.value for a in consent.scope],
            given_on=consent.given_on.isoformat(),
            how_obtained=consent.how_obtained,
            given_by_name=consent.given_by_name,
        )
        self._triage()

    def withdraw_consent(self, withdrawn_on: date, reason: str) -> None:
        self._refuse_if_closed("withdraw consent")
        if self.consent is None:
            raise ReferralConflict(
                "no consent is recorded for this referral, so none can be withdrawn"
            )
        self.trigger_event(
            self.ConsentWithdrawn,
            withdrawn_on=withdrawn_on.isoformat(),
            reason=reason,
            basis_remains=self.safeguarding_basis is not None,
        )
        self._triage()

    def record_safeguarding_basis(self, basis: SafeguardingBasis) -> None:
        self._refuse_if_closed("record a safeguarding basis")
        self.trigger_event(
            self.SafeguardingBasisRecorded,
            professional_id=basis.professional_id,
            professional_name=basis.professional_name,
            reason=basis.reason,
            recorded_on=basis.recorded_on.isoformat(),
        )
        self._triage()

    def erase_personal_data(self, reason: str, today: date) -> None:
        """Record that the child's details are erased (the application destroys the key)."""
        if self.erased is not None:
            return  # erased already: nothing more to record
        if self.hold is not None and self.hold.in_force(today):
            raise LegalHoldInForce(
                f"case {self.id} is under a legal hold until {self.hold.until.isoformat()} "
                f"({self.hold.reason}): nothing can be erased"
            )
        self.trigger_event(self.PersonalDataErased, reason=reason, erased_on=today.isoformat())

    def place_legal_hold(self, hold: LegalHold, today: date) -> None:
        hold.check_placed(today)
        if self.erased is not None:
            raise ReferralConflict(
                f"case {self.id}'s personal details were erased on "
                f"{self.erased.erased_on.isoformat()}: there is nothing left to hold"
            )
        self.trigger_event(self.LegalHoldPlaced, reason=hold.reason, until=hold.until.isoformat())

    def release_legal_hold(self, reason: str) -> None:
        if self.hold is None:
            raise ReferralConflict(f"case {self.id} is not under a legal hold")
        self.trigger_event(self.LegalHoldReleased, reason=reason)

    # --- what the panel decided (its events, applied here) ---

    def note_lead_professional(self, professional_id: str, agency: str) -> None:
        """The panel assigned (or reassigned) the lead professional; a repeat changes nothing."""
        if self.lead == LeadProfessional(professional_id, agency):
            return
        self.trigger_event(
            self.LeadProfessionalNoted, professional_id=professional_id, agency=agency
        )

    def end_lead_professional(self, reason: str) -> None:
        if self.lead is not None:
            self.trigger_event(self.LeadProfessionalEnded, reason=reason)

    def note_tier(self, panel: str) -> None:
        """The panel escalated or stepped the case down to `panel`; a repeat changes nothing."""
        if self.tier != panel:
            self.trigger_event(self.TierNoted, panel=panel)

    def note_closed(self, reason: str, closed_on: date) -> None:
        """The panel closed the case; its lead professional's access ends."""
        self.end_lead_professional(f"case closed at panel: {reason}")
        if self.closed is None:
            self.trigger_event(self.ClosedAtPanel, reason=reason, closed_on=closed_on.isoformat())

    # --- children's social care's front door ---

    @property
    def with_social_care(self) -> bool:
        """Referred to the front door, waiting for it or taken on by it (not stepped down)."""
        return self.front_door is not None and self.front_door.with_social_care

    def send_to_front_door(self, route: SocialCareRoute, reason: str) -> None:
        """Refer the case to the district's front door; a repeat while it is there changes
        nothing (a case stepped down may be referred again)."""
        if not self.with_social_care:
            self.trigger_event(
                self.SentToFrontDoor,
                route=route.value,
                reason=reason,
                district=self.district,
                referring_agency=self.agency,
            )

    def answer_front_door(
        self, answer: SocialCareAnswer, reason: str, reference: str | None
    ) -> None:
        """Social care takes the case on, or steps it down: a significant-harm referral
        stepped down is triaged again for the MAAG (a panel's case goes back to its panel)."""
        door = self.front_door
        if door is None or not door.with_social_care:
            raise ReferralConflict(
                f"case_id: case {self.id} is not with children's social care's front door"
            )
        if door.answer is not None:
            if door.answer is answer:
                return  # answered so already: a repeat changes nothing
            raise ReferralConflict(f"answer: the front door answered already ({door.answer.value})")
        self.trigger_event(
            self.FrontDoorAnswered,
            answer=answer.value,
            district=self.district,
            route=door.route.value,
            reason=reason,
            reference=reference,
        )
        if answer is SocialCareAnswer.STEPPED_DOWN and self.outcome in TERMINAL:
            self._triage()

    # --- the child index ---

    def open_here(self) -> bool:
        """Whether this case is open at a panel (a new referral for the child joins it)."""
        return (
            self.outcome is Outcome.ACCEPTED
            and not self.paused
            and self.closed is None
            and self.joins_case_id is None
            and not self.with_social_care
        )

    def offered(self, child_id: UUID) -> Match:
        """The offer of `child_id` made for this referral."""
        found = self.offers.get(child_id)
        if found is None:
            raise ReferralConflict(
                f"child_id: child {child_id} was not offered as a match for referral {self.id}"
            )
        return found

    def resolve_match(
        self, child_id: UUID, confirmed: bool, joins_case_id: UUID | None, reason: str
    ) -> None:
        """Confirm or reject an offered child. Confirmed: this referral is theirs, and joins
        their open case (`joins_case_id`) unless this one is already being worked."""
        status = self.offered(child_id).status
        if status is not MatchStatus.OFFERED:
            if status is (MatchStatus.CONFIRMED if confirmed else MatchStatus.REJECTED):
                return  # decided so already: a repeat changes nothing
            raise ReferralConflict(f"child_id: this match was {status.value} already")
        # a referral declined or sent to social care has no case at a panel to join
        joins = joins_case_id if confirmed and self.outcome not in TERMINAL else None
        self.trigger_event(
            self.ChildMatchResolved,
            child_id=str(child_id),
            confirmed=confirmed,
            previous_child_id=str(self.child_id) if confirmed and self.child_id else None,
            joins_case_id=str(joins) if joins else None,
            reason=reason,
        )

    def link_household(self, sibling: Referral) -> None:
        """This child and `sibling`'s are siblings, in the household either is in already
        (or a new one); recorded on both."""
        households = {h for h in (self.household_id, sibling.household_id) if h}
        if len(households) > 1:
            raise ReferralConflict(
                "sibling_case_id: the two children are already in different households"
            )
        if self.child_id is None or sibling.child_id is None:
            raise ReferralConflict(
                "sibling_case_id: a referral received before the child index has no child "
                "record to link"
            )
        if sibling.id == self.id or sibling.child_id == self.child_id:
            raise ReferralConflict(
                "sibling_case_id: that referral is of the same child, not a sibling"
            )
        household_id = (
            households.pop() if households else household_id_for(self.child_id, sibling.child_id)
        )
        for one, other in ((self, sibling), (sibling, self)):
            if other.id in one.siblings:
                continue
            one.trigger_event(
                one.HouseholdLinked,
                household_id=str(household_id),
                child_id=str(one.child_id),
                sibling_case_id=str(other.id),
                sibling_child_id=str(other.child_id),
            )

    # --- rules ---

    def _refuse_if_closed(self, what: str) -> None:
        if self.outcome in TERMINAL:
            assert self.outcome is not None
            raise ReferralConflict(
                f"cannot {what}: the referral was {self.outcome.value} ({self.outcome_reason})"
            )

    def _triage(self) -> None:
        d = self.details
        if self.erased is not None or d.significant_harm_concern is None or d.transition is None:
            raise ReferralConflict(
                f"case {self.id}'s personal details were erased: what triage decides on is gone"
            )
        decision = triage(
            significant_harm_concern=d.significant_harm_concern,
            agencies_requested=d.agencies_requested,
            services_requested=d.services_requested,
            transition=d.transition,
            transition_basis=d.transition_basis,
            has_consent=self.consent is not None,
            has_safeguarding_basis=self.safeguarding_basis is not None,
            stepped_down=self.harm_assessed,
        )
        if decision.outcome is self.outcome and not self.paused:
            return  # nothing new to say
        if decision.outcome is Outcome.PENDING_CONSENT and self.outcome is Outcome.ACCEPTED:
            # Consent withdrawn after acceptance pauses the case (the panel takes it off its
            # agendas on ConsentWithdrawn); it is not sent back to waiting.
            return
        self._decided(decision)

    def _decided(self, decision: Decision) -> None:
        accepted = decision.outcome is Outcome.ACCEPTED
        self.trigger_event(
            self.Triaged,
            outcome=decision.outcome.value,
            reason=decision.reason,
            signposting=decision.signposting,
            district=self.district,
            level_of_need=int(self.details.level_of_need),
            agencies_requested=[a.value for a in self.details.agencies_requested],
            joins_case_id=str(self.joins_case_id) if accepted and self.joins_case_id else None,
            from_social_care=self.harm_assessed,
        )
        if decision.outcome is Outcome.REDIRECTED_TO_SOCIAL_CARE:
            self.send_to_front_door(SocialCareRoute.SIGNIFICANT_HARM, decision.reason)


class Rejection(Aggregate):
    """A submission from the topic that could not be taken; kept so the agency is told why."""

    class Rejected(Aggregate.Created):
        source: Annotated[str, OPERATIONAL]
        submission_id: Annotated[str | None, OPERATIONAL]
        referring_agency: Annotated[str | None, OPERATIONAL]
        partition: Annotated[int, OPERATIONAL]
        offset: Annotated[int, OPERATIONAL]
        problems: Annotated[list[dict[str, str]], OPERATIONAL]

    @event(Rejected)
    def __init__(
        self,
        source: str,
        submission_id: str | None,
        referring_agency: str | None,
        partition: int,
        offset: int,
        problems: list[dict[str, str]],
    ) -> None:
        self.submission_id = submission_id
        self.referring_agency = referring_agency
        self.problems = problems

    @staticmethod
    def create_id(source: str, **_: Any) -> UUID:
        return uuid5(CASE_NAMESPACE, f"rejection:{source}")
