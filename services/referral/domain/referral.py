"""The Referral aggregate: one case, from submission through consent to triage outcome,
and what data protection asks of it: a legal hold, and the erasure of the child's details.

Attributes of stored events are plain JSON types (str, int, bool, list, dict) so the
store's transcoder needs nothing special; the store encrypts them at rest. The child's
details arrive already sealed under the case's own data key (`sealed_child`: the
application seals them, `services.referral.application.personal`); erasing destroys that
key. Who acted and the correlation id are the events' metadata, given by the runtime
(`maag.runtime.causation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.events.referral import ReferralDetails
from contracts.reference import Agency, Service, TransitionBasis
from services.referral.domain.triage import Decision, Outcome, triage

CASE_NAMESPACE = UUID("6f1c1d8e-3c55-4f8e-9a37-0c1f5a1d2b10")
CHILD_NAMESPACE = UUID("0d3c9a52-6e1f-4b6a-8f0e-5b7f2e9c1a47")
TERMINAL = {Outcome.REDIRECTED_TO_SOCIAL_CARE, Outcome.DECLINED}


class ReferralConflict(Exception):
    """The command does not fit the referral's state (HTTP 409; dead letter on a topic)."""


def new_child_id(case_id: UUID) -> UUID:
    """A new child's pseudonymous id, made from the referral that first named them."""
    return uuid5(CHILD_NAMESPACE, str(case_id))


def household_id_for(child_a: str, child_b: str) -> str:
    return str(uuid5(CHILD_NAMESPACE, "household:" + ":".join(sorted((child_a, child_b)))))


@dataclass(frozen=True)
class Offer:
    """A child the index found this referral's child likely to be: their id, the referrals
    they have, and which match keys met."""

    child_id: UUID
    case_ids: tuple[UUID, ...]
    keys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "child_id": str(self.child_id),
            "case_ids": [str(c) for c in self.case_ids],
            "keys": list(self.keys),
        }


def case_id_for(agency: str, submission_key: str) -> UUID:
    """The same agency and key always name the same case: retries find it, never duplicate it."""
    return uuid5(CASE_NAMESPACE, f"{agency}:{submission_key}")


class LegalHoldInForce(ReferralConflict):
    """Erasure refused: the case is under a legal hold."""


class Referral(Aggregate):
    class Received(Aggregate.Created):
        case_id: UUID
        details: dict[str, Any]  # v2: without the child, who is in `sealed_child`
        fingerprint: str  # v2: keyed with the case's data key
        channel: str
        sealed_child: str | None
        child_id: str | None  # v3: the child's pseudonymous id (the child index's)
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

        offers: list[dict[str, Any]]  # {child_id, case_ids, keys}

    class ChildMatchResolved(Aggregate.Event):
        """A person decided whether an offered child is this referral's: confirmed, the
        referral is that child's (and joins their open case, if any)."""

        child_id: str
        confirmed: bool
        previous_child_id: str | None
        joins_case_id: str | None
        reason: str

    class HouseholdLinked(Aggregate.Event):
        """This referral's child and another referral's are siblings in one household."""

        household_id: str
        child_id: str
        sibling_case_id: str
        sibling_child_id: str

    class PersonalDataErased(Aggregate.Event):
        """The case's data key was destroyed: the child's details can no longer be read."""

        reason: str
        erased_on: str

    class LegalHoldPlaced(Aggregate.Event):
        reason: str
        until: str

    class LegalHoldReleased(Aggregate.Event):
        reason: str

    class ClosedAtPanel(Aggregate.Event):
        """The panel closed the case (when its retention period starts)."""

        reason: str
        closed_on: str

    class ConsentRecorded(Aggregate.Event):
        given_by: str
        scope: list[str]
        given_on: str
        how_obtained: str

    class ConsentWithdrawn(Aggregate.Event):
        withdrawn_on: str
        reason: str
        basis_remains: bool

    class SafeguardingBasisRecorded(Aggregate.Event):
        professional_id: str
        professional_name: str
        reason: str
        recorded_on: str

    class Triaged(Aggregate.Event):
        outcome: str
        reason: str
        signposting: str | None
        district: str
        level_of_need: int
        agencies_requested: list[str]
        joins_case_id: str | None  # v2: accepted for a child whose open case it joins
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["joins_case_id"] = None

    class LeadProfessionalNoted(Aggregate.Event):
        """The panel named the case's lead professional: they may read the case (and the
        child's details, as consent or a safeguarding basis allows) while it stands."""

        professional_id: str
        agency: str

    class LeadProfessionalEnded(Aggregate.Event):
        reason: str

    class TierNoted(Aggregate.Event):
        """The panel moved the case to another tier (who sits on it may act on it here)."""

        panel: str

    class Viewed(Aggregate.Event):
        """A read, as recorded on the referral before reads had aggregates of their own."""

        actor: dict[str, str]
        with_personal_data: bool
        at: str

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
        self.details = details  # never published (a v1 referral's holds the child)
        self.fingerprint = fingerprint
        self.channel = channel
        self.sealed_child = sealed_child  # the child's details, under the case's data key
        self.child_id = child_id
        self.offers: dict[str, dict[str, Any]] = {}  # offered child id -> offer and status
        self.joins_case_id: str | None = None
        self.household_id: str | None = None
        self.siblings: dict[str, str] = {}  # sibling case id -> their child id
        self.erased: dict[str, str] | None = None
        self.hold: dict[str, str] | None = None
        self.closed: dict[str, str] | None = None
        self.consent: dict[str, Any] | None = None
        self.safeguarding_basis: dict[str, Any] | None = None
        self.outcome: Outcome | None = None
        self.outcome_reason: str | None = None
        self.signposting: str | None = None
        self.paused = False
        self.lead: dict[str, str] | None = None
        self.moved_to: str | None = None  # the tier, once the panel escalated or stepped down

    @staticmethod
    def create_id(case_id: UUID, **_: Any) -> UUID:
        return case_id

    # --- reading ---

    @property
    def agency(self) -> str:
        return str(self.details["referring_agency"])

    @property
    def district(self) -> str:
        return str(self.details["district"])

    @property
    def tier(self) -> str | None:
        """The panel holding the case: an accepted referral goes to its district's MAAG,
        until the panel moves it."""
        if self.moved_to is not None:
            return self.moved_to
        return "maag" if self.outcome is Outcome.ACCEPTED else None

    @property
    def status(self) -> str:
        if self.outcome is None:
            return "received"
        if self.outcome is Outcome.ACCEPTED and self.paused:
            return "paused-consent-withdrawn"
        return self.outcome.value

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
            channel=channel,
            sealed_child=sealed_child,
            child_id=str(child_id or new_child_id(case_id)),
        )
        if offers:
            referral._matches_offered(offers=[o.to_json() for o in offers])
        if details.consent is not None:
            c = details.consent
            referral.record_consent(c.given_by.value, c.scope, c.given_on, c.how_obtained)
        else:
            referral._triage()
        return referral

    def record_consent(
        self,
        given_by: str,
        scope: list[Agency],
        given_on: date,
        how_obtained: str,
    ) -> None:
        self._refuse_if_closed("record consent")
        if not scope:
            raise ReferralConflict("consent must name at least one agency that may share")
        self._consent_recorded(
            given_by=given_by,
            scope=[a.value for a in scope],
            given_on=given_on.isoformat(),
            how_obtained=how_obtained,
        )
        self._triage()

    def withdraw_consent(self, withdrawn_on: date, reason: str) -> None:
        self._refuse_if_closed("withdraw consent")
        if self.consent is None:
            raise ReferralConflict(
                "no consent is recorded for this referral, so none can be withdrawn"
            )
        self._consent_withdrawn(
            withdrawn_on=withdrawn_on.isoformat(),
            reason=reason,
            basis_remains=self.safeguarding_basis is not None,
        )
        self._triage()

    def record_safeguarding_basis(
        self,
        professional_id: str,
        professional_name: str,
        reason: str,
        recorded_on: date,
    ) -> None:
        self._refuse_if_closed("record a safeguarding basis")
        self._safeguarding_basis_recorded(
            professional_id=professional_id,
            professional_name=professional_name,
            reason=reason,
            recorded_on=recorded_on.isoformat(),
        )
        self._triage()

    def erase_personal_data(self, reason: str, today: date) -> None:
        """Record that the child's details are erased (the application destroys the key)."""
        if self.erased is not None:
            return  # erased already: nothing more to record
        if self.hold_in_force(today):
            assert self.hold is not None
            raise LegalHoldInForce(
                f"case {self.id} is under a legal hold until {self.hold['until']} "
                f"({self.hold['reason']}): nothing can be erased"
            )
        self._personal_data_erased(reason=reason, erased_on=today.isoformat())

    def place_legal_hold(self, reason: str, until: date, today: date) -> None:
        if until < today:
            raise ReferralConflict("a legal hold must last until today or later")
        if self.erased is not None:
            raise ReferralConflict(
                f"case {self.id}'s personal details were erased on {self.erased['erased_on']}: "
                "there is nothing left to hold"
            )
        self._legal_hold_placed(reason=reason, until=until.isoformat())

    def release_legal_hold(self, reason: str) -> None:
        if self.hold is None:
            raise ReferralConflict(f"case {self.id} is not under a legal hold")
        self._legal_hold_released(reason=reason)

    def hold_in_force(self, today: date) -> bool:
        return self.hold is not None and date.fromisoformat(self.hold["until"]) >= today

    # --- rules ---

    def _refuse_if_closed(self, what: str) -> None:
        if self.outcome in TERMINAL:
            assert self.outcome is not None
            raise ReferralConflict(
                f"cannot {what}: the referral was {self.outcome.value} ({self.outcome_reason})"
            )

    def _triage(self) -> None:
        decision = triage(
            significant_harm_concern=bool(self.details["significant_harm_concern"]),
            agencies_requested=[Agency(a) for a in self.details["agencies_requested"]],
            services_requested=[Service(s) for s in self.details.get("services_requested", [])],
            transition=bool(self.details["transition"]),
            transition_basis=(
                TransitionBasis(basis) if (basis := self.details.get("transition_basis")) else None
            ),
            has_consent=self.consent is not None,
            has_safeguarding_basis=self.safeguarding_basis is not None,
        )
        if decision.outcome is self.outcome and not self.paused:
            return  # nothing new to say
        if decision.outcome is Outcome.PENDING_CONSENT and self.outcome is Outcome.ACCEPTED:
            # Consent withdrawn after acceptance pauses the case (the panel takes it off its
            # agendas on ConsentWithdrawn); it is not sent back to waiting.
            return
        self._decided(decision)

    def _decided(self, decision: Decision) -> None:
        self._triaged(
            outcome=decision.outcome.value,
            reason=decision.reason,
            signposting=decision.signposting,
            district=self.district,
            level_of_need=int(self.details["level_of_need"]),
            agencies_requested=list(self.details["agencies_requested"]),
            joins_case_id=self.joins_case_id if decision.outcome is Outcome.ACCEPTED else None,
        )

    def note_lead_professional(self, professional_id: str, agency: str) -> None:
        """The panel assigned (or reassigned) the lead professional; a repeat changes nothing."""
        if self.lead == {"professional_id": professional_id, "agency": agency}:
            return
        self._lead_noted(professional_id=professional_id, agency=agency)

    def end_lead_professional(self, reason: str) -> None:
        if self.lead is not None:
            self._lead_ended(reason=reason)

    def note_tier(self, panel: str) -> None:
        """The panel escalated or stepped the case down to `panel`; a repeat changes nothing."""
        if self.tier != panel:
            self._tier_noted(panel=panel)

    @event(TierNoted)
    def _tier_noted(self, panel: str) -> None:
        self.moved_to = panel

    def note_closed(self, reason: str, closed_on: date) -> None:
        """The panel closed the case; its lead professional's access ends."""
        self.end_lead_professional(f"case closed at panel: {reason}")
        if self.closed is None:
            self._closed_at_panel(reason=reason, closed_on=closed_on.isoformat())

    # --- the child index ---

    def open_here(self) -> bool:
        """Whether this case is open at a panel (a new referral for the child joins it)."""
        return (
            self.outcome is Outcome.ACCEPTED
            and not self.paused
            and self.closed is None
            and self.joins_case_id is None
        )

    def resolve_match(
        self, child_id: str, confirmed: bool, joins_case_id: str | None, reason: str
    ) -> None:
        """Confirm or reject an offered child. Confirmed: this referral is theirs, and joins
        their open case (`joins_case_id`) unless this one is already being worked."""
        offer = self.offers.get(child_id)
        if offer is None:
            raise ReferralConflict(
                f"child_id: child {child_id} was not offered as a match for referral {self.id}"
            )
        if offer["status"] != "offered":
            if offer["status"] == ("confirmed" if confirmed else "rejected"):
                return  # decided so already: a repeat changes nothing
            raise ReferralConflict(f"child_id: this match was {offer['status']} already")
        # a referral declined or sent to social care has no case at a panel to join
        joins = joins_case_id if confirmed and self.outcome not in TERMINAL else None
        self._match_resolved(
            child_id=child_id,
            confirmed=confirmed,
            previous_child_id=self.child_id if confirmed else None,
            joins_case_id=joins,
            reason=reason,
        )

    def link_household(self, sibling: Referral, household_id: str) -> None:
        """This child and `sibling`'s are siblings in `household_id` (recorded on both)."""
        if self.child_id is None or sibling.child_id is None:
            raise ReferralConflict(
                "sibling_case_id: a referral received before the child index has no child "
                "record to link"
            )
        if sibling.id == self.id or sibling.child_id == self.child_id:
            raise ReferralConflict(
                "sibling_case_id: that referral is of the same child, not a sibling"
            )
        for one, other in ((self, sibling), (sibling, self)):
            if str(other.id) in one.siblings:
                continue
            one._household_linked(
                household_id=household_id,
                child_id=str(one.child_id),
                sibling_case_id=str(other.id),
                sibling_child_id=str(other.child_id),
            )

    def shares_with(self, agency: str) -> bool:
        """Whether the child's details may go to a professional of `agency` other than the
        referrer's: the recorded consent names that agency, or a safeguarding basis is on
        record. A withdrawal of consent ends it at once."""
        if self.safeguarding_basis is not None:
            return True
        return self.consent is not None and agency in self.consent["scope"]

    # --- events (the method bodies apply them) ---

    @event(LeadProfessionalNoted)
    def _lead_noted(self, professional_id: str, agency: str) -> None:
        self.lead = {"professional_id": professional_id, "agency": agency}

    @event(LeadProfessionalEnded)
    def _lead_ended(self, reason: str) -> None:
        self.lead = None

    @event(ConsentRecorded)
    def _consent_recorded(
        self,
        given_by: str,
        scope: list[str],
        given_on: str,
        how_obtained: str,
    ) -> None:
        self.consent = {
            "given_by": given_by,
            "scope": scope,
            "given_on": given_on,
            "how_obtained": how_obtained,
        }

    @event(ConsentWithdrawn)
    def _consent_withdrawn(
        self,
        withdrawn_on: str,
        reason: str,
        basis_remains: bool,
    ) -> None:
        self.consent = None
        if self.outcome is Outcome.ACCEPTED and not basis_remains:
            self.paused = True

    @event(SafeguardingBasisRecorded)
    def _safeguarding_basis_recorded(
        self,
        professional_id: str,
        professional_name: str,
        reason: str,
        recorded_on: str,
    ) -> None:
        self.safeguarding_basis = {
            "professional_id": professional_id,
            "professional_name": professional_name,
            "reason": reason,
            "recorded_on": recorded_on,
        }

    @event(Triaged)
    def _triaged(
        self,
        outcome: str,
        reason: str,
        signposting: str | None,
        district: str,
        level_of_need: int,
        agencies_requested: list[str],
        joins_case_id: str | None,
    ) -> None:
        self.outcome = Outcome(outcome)
        self.outcome_reason = reason
        self.signposting = signposting
        self.paused = False

    @event(MatchesOffered)
    def _matches_offered(self, offers: list[dict[str, Any]]) -> None:
        for offer in offers:
            self.offers[offer["child_id"]] = {**offer, "status": "offered"}

    @event(ChildMatchResolved)
    def _match_resolved(
        self,
        child_id: str,
        confirmed: bool,
        previous_child_id: str | None,
        joins_case_id: str | None,
        reason: str,
    ) -> None:
        self.offers[child_id]["status"] = "confirmed" if confirmed else "rejected"
        if confirmed:
            self.child_id = child_id
            self.joins_case_id = joins_case_id

    @event(HouseholdLinked)
    def _household_linked(
        self, household_id: str, child_id: str, sibling_case_id: str, sibling_child_id: str
    ) -> None:
        self.household_id = household_id
        self.siblings[sibling_case_id] = sibling_child_id

    @event(PersonalDataErased)
    def _personal_data_erased(self, reason: str, erased_on: str) -> None:
        self.erased = {"reason": reason, "erased_on": erased_on}
        self.sealed_child = None
        self.details.pop("child", None)  # a v1 referral's, held under the store's key only

    @event(ClosedAtPanel)
    def _closed_at_panel(self, reason: str, closed_on: str) -> None:
        self.closed = {"reason": reason, "closed_on": closed_on}

    @event(LegalHoldPlaced)
    def _legal_hold_placed(self, reason: str, until: str) -> None:
        self.hold = {"reason": reason, "until": until}

    @event(LegalHoldReleased)
    def _legal_hold_released(self, reason: str) -> None:
        self.hold = None

    @event(Viewed)
    def _viewed(self, actor: dict[str, str], with_personal_data: bool, at: str) -> None:
        # Reads are recorded in aggregates of their own now (maag.runtime.evidence.reads); referrals
        # read before that still carry them, and must still load.
        pass


class Rejection(Aggregate):
    """A submission from the topic that could not be taken; kept so the agency is told why."""

    class Rejected(Aggregate.Created):
        source: str
        submission_id: str | None
        referring_agency: str | None
        partition: int
        offset: int
        problems: list[dict[str, str]]

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
