"""The referral's facts as types, each rule written once, on its value (no I/O).

Stored events keep their plain JSON attributes (ISO dates, ids as strings: what the store
has always held); the aggregates turn them into these values as they apply them, so
everything above the store reads types. Where the published contract already names a fact
(`ConsentGiven`, `ChildDetails`, `ReferralDetails`) that model is the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from contracts.events.referral import ConsentGiven, ConsentGiver, ReferralDetails
from contracts.reference import (
    Agency,
    District,
    LevelOfNeed,
    Service,
    SocialCareAnswer,
    SocialCareRoute,
    TransitionBasis,
)
from services.referral.domain.matching import Key, Strength, strength


class ReferralConflict(Exception):
    """The command does not fit the referral's state (HTTP 409; dead letter on a topic)."""


class Status(StrEnum):
    """Where a referral stands, as its readers are told."""

    RECEIVED = "received"
    PENDING_CONSENT = "pending-consent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REDIRECTED_TO_SOCIAL_CARE = "redirected-to-social-care"
    PAUSED = "paused-consent-withdrawn"


class Ended(StrEnum):
    """How a case ended after its triage, as its referrer is told."""

    CLOSED_AT_PANEL = "closed-at-panel"
    TAKEN_ON_BY_SOCIAL_CARE = "taken-on-by-social-care"


class Channel(StrEnum):
    """How the referral arrived."""

    HTTP = "http"
    TOPIC = "topic"


class MatchStatus(StrEnum):
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Submitted:
    """What the referrer submitted about the case, the child's details apart (those are
    sealed under the case's own key). What identifies the child or is about their life
    (the CAF reference, needs, harm, transition, consent) is None once erased."""

    caf_reference: str | None
    referring_agency: Agency
    referring_professional_id: str
    district: District
    needs: tuple[str, ...] | None
    agencies_requested: tuple[Agency, ...]
    services_requested: tuple[Service, ...]
    level_of_need: LevelOfNeed
    significant_harm_concern: bool | None
    transition: bool | None
    transition_basis: TransitionBasis | None
    consent: ConsentGiven | None  # as given with the submission (`Referral.consent`: now)

    @classmethod
    def of(cls, details: ReferralDetails) -> Submitted:
        return cls.stored(details.model_dump(mode="json", exclude={"child"}))

    @classmethod
    def stored(cls, details: Mapping[str, Any]) -> Submitted:
        """From a `Received` event's details, of any version (services and the transition
        basis came later)."""
        basis, consent = details.get("transition_basis"), details.get("consent")
        needs, caf = details.get("needs"), details.get("caf_reference")
        return cls(
            caf_reference=None if caf is None else str(caf),
            referring_agency=Agency(details["referring_agency"]),
            referring_professional_id=str(details["referring_professional_id"]),
            district=District(details["district"]),
            needs=None if needs is None else tuple(needs),
            agencies_requested=tuple(Agency(a) for a in details["agencies_requested"]),
            services_requested=tuple(Service(s) for s in details.get("services_requested", [])),
            level_of_need=LevelOfNeed(details["level_of_need"]),
            significant_harm_concern=_maybe_bool(details.get("significant_harm_concern")),
            transition=_maybe_bool(details.get("transition")),
            transition_basis=TransitionBasis(basis) if basis else None,
            consent=consent_stored(**consent) if consent else None,
        )


def _maybe_bool(value: object) -> bool | None:
    return None if value is None else bool(value)


def consent_stored(
    given_by: str,
    scope: list[str],
    given_on: str,
    how_obtained: str | None,
    given_by_name: str | None = None,
) -> ConsentGiven:
    """A recorded consent as the contract's value (checked when it was given: not again, so
    a stored consent always loads)."""
    return ConsentGiven.model_construct(
        given_by=ConsentGiver(given_by),
        scope=[Agency(a) for a in scope],
        given_on=date.fromisoformat(given_on),
        how_obtained=how_obtained,
        given_by_name=given_by_name,
    )


@dataclass(frozen=True)
class SafeguardingBasis:
    """A named professional's basis for sharing the child's details without consent."""

    professional_id: str
    professional_name: str
    reason: str | None  # None: erased
    recorded_on: date


@dataclass(frozen=True)
class LeadProfessional:
    """Who the panel named to lead the case (they may read it while it is open)."""

    professional_id: str
    agency: str


@dataclass(frozen=True)
class FrontDoor:
    """The case's referral to children's social care's front door (the MASH), and its answer."""

    route: SocialCareRoute
    reason: str
    sent_at: datetime
    answer: SocialCareAnswer | None = None
    answered_at: datetime | None = None
    answer_reason: str | None = None  # None once erased
    reference: str | None = None  # social care's own record of the case; None once erased

    @property
    def waiting(self) -> bool:
        return self.answer is None

    @property
    def with_social_care(self) -> bool:
        """Waiting for the front door, or taken on by social care (not stepped down)."""
        return self.answer is not SocialCareAnswer.STEPPED_DOWN


@dataclass(frozen=True)
class Erasure:
    reason: str
    erased_on: date


@dataclass(frozen=True)
class Closure:
    """The panel closed the case: its retention period starts."""

    reason: str
    closed_on: date


@dataclass(frozen=True)
class LegalHold:
    reason: str
    until: date  # the last day it holds

    def in_force(self, today: date) -> bool:
        return self.until >= today

    def check_placed(self, today: date) -> None:
        if not self.in_force(today):
            raise ReferralConflict("a legal hold must last until today or later")


@dataclass(frozen=True)
class Offer:
    """A child the index found this referral's child likely to be: their id, the referrals
    they have, and which match keys met."""

    child_id: UUID
    case_ids: tuple[UUID, ...]
    keys: tuple[str, ...]

    @property
    def strength(self) -> Strength:
        """How sure the index was (an offer made is at least likely)."""
        return strength({Key(k) for k in self.keys}) or Strength.LIKELY

    def to_json(self) -> dict[str, str | list[str]]:
        return {
            "child_id": str(self.child_id),
            "case_ids": [str(c) for c in self.case_ids],
            "keys": list(self.keys),
        }

    @classmethod
    def stored(cls, offer: Mapping[str, Any]) -> Offer:
        return cls(
            UUID(offer["child_id"]),
            tuple(UUID(c) for c in offer["case_ids"]),
            tuple(offer["keys"]),
        )


@dataclass(frozen=True)
class Match:
    """An offer and what a person made of it."""

    offer: Offer
    status: MatchStatus = MatchStatus.OFFERED

    def decided(self, confirmed: bool) -> Match:
        return Match(self.offer, MatchStatus.CONFIRMED if confirmed else MatchStatus.REJECTED)


@dataclass(frozen=True)
class Correction:
    """A note that corrects another: which, and why the other was wrong."""

    supersedes: UUID
    reason: str


@dataclass(frozen=True)
class Supersession:
    """What superseded a note, and why."""

    by_note_id: UUID
    reason: str | None  # None: erased
