"""What the referral's application needs from outside it, as it names it: the keyring of
each case's data key, the child index, the documents' content, and the list of cases (the
read model). The adapters implement these (`services.referral.adapters`); the application
imports none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from maag.runtime.store.shredding import CaseKeys
from services.referral.domain.matching import Key
from services.referral.domain.values import Offer


class Keyring(CaseKeys, Protocol):
    """Each case's (and note's) data key: the runtime's keyring (crypto-shredding)."""

    def make_keys(self, case_ids: list[UUID]) -> dict[UUID, bytes]:
        """New cases' keys, made together (a case that has one keeps it)."""
        ...


class ChildIndex(Protocol):
    """Each referral's match keys, keyed (`services.referral.adapters.child_index`)."""

    def place(
        self,
        case_id: UUID,
        child_id: UUID,
        keys: Mapping[Key, str],
        probes: Mapping[Key, str] | None = None,
    ) -> list[Offer]:
        """Index a referral's keys; the children they and `probes` likely match."""
        ...

    def relink(self, case_id: UUID, child_id: UUID) -> None: ...

    def forget(self, case_id: UUID) -> None: ...


class DocumentContents(Protocol):
    """Each document's content as `seal_bytes` sealed it under its case's data key, by the
    document's id (`services.referral.adapters.document_content`)."""

    def put(self, document_id: UUID, case_id: UUID, sealed: str) -> None:
        """Store it, in place of whatever the same id held (an earlier attempt's)."""
        ...

    def sealed(self, document_id: UUID) -> str | None: ...

    def forget(self, case_id: UUID) -> None:
        """Delete every document's content of the case."""
        ...


@dataclass(frozen=True)
class ListedCase:
    """A case as the list knows it: no personal data (the child and their household by
    pseudonymous ids only)."""

    case_id: UUID
    child_id: UUID | None
    household_id: UUID | None
    agency: str
    district: str
    caf_reference: str | None  # None: erased
    level_of_need: int
    status: str
    reason: str | None
    received_at: datetime
    updated_at: datetime
    # when the referral came to stand as `status` says (it waits for consent since then, or
    # was declined then)
    status_since: datetime | None = None
    ending: Ending | None = None  # the case ended outside the triage's outcome


@dataclass(frozen=True)
class Ending:
    """How a referring agency's case ended after triage: the panel closed it, or children's
    social care's front door took it on; on what day, and the panel's reason (social care's
    own words about the child stay with the referral)."""

    how: str  # closed-at-panel, taken-on-by-social-care
    on: date
    reason: str | None


@dataclass(frozen=True)
class FrontDoorCase:
    """A case referred to children's social care's front door, as its list shows it: no
    personal data."""

    case_id: UUID
    district: str
    referring_agency: str
    route: str
    reason: str
    sent_at: datetime
    answer: str | None
    answered_at: datetime | None


class CaseList(Protocol):
    """The read model of the service's cases (`services.referral.adapters.read_model`)."""

    def of_agency(
        self,
        agency: str,
        limit: int = 200,
        statuses: Sequence[str] = (),
        since: date | None = None,
    ) -> Sequence[ListedCase]:
        """The agency's cases, newest first; only those in `statuses`, if any are given,
        and only those whose status changed or that ended on or after `since`, if given."""
        ...

    def case_ids(self) -> Sequence[UUID]:
        """Every case the service has received, oldest first."""
        ...

    def received_between(self, first: date, last: date) -> Sequence[ListedCase]:
        """The cases received from day `first` to day `last` (UTC), oldest first."""
        ...

    def led_by(self, professional_id: str) -> Sequence[UUID]:
        """The cases whose current lead professional is `professional_id`, as the panel last
        named them (the list lags the store by moments), oldest first."""
        ...

    def of_children(self, child_ids: Sequence[UUID]) -> Sequence[ListedCase]:
        """The referrals of these children, oldest first."""
        ...

    def of_household(self, household_id: UUID) -> Sequence[ListedCase]: ...

    def notes_of(self, case_id: UUID) -> Sequence[UUID]:
        """The case's notes (every version), oldest first."""
        ...

    def at_front_door(self, waiting: bool, limit: int = 200) -> Sequence[FrontDoorCase]:
        """The cases referred to the front door (only those still waiting for its answer, if
        `waiting`), newest first."""
        ...
