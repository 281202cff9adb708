"""What the notifications service knows of a case's scope: its district and the tier holding
it, from the panel's listings and moves, and its lead professional while it is open. The one
access policy (`maag.runtime.policy`) asks it who may read the emails sent about the case
(a panel member of that district and tier; the case's lead)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, THIRD_PARTY


def known_case_id(case_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"maag:notifications:case:{case_id}")


class KnownCase(Aggregate):
    class Seen(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]

    class Placed(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        tier: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: KnownCase) -> None:
            aggregate.district = self.district
            aggregate.tier = self.tier

    class LeadNoted(Aggregate.Event):
        professional_id: Annotated[str, THIRD_PARTY]

        def apply(self, aggregate: KnownCase) -> None:
            aggregate.lead = self.professional_id

    class Closed(Aggregate.Event):
        def apply(self, aggregate: KnownCase) -> None:
            aggregate.closed = True

    class ConsentNoted(Aggregate.Event):
        """Consent withdrawn with no basis to go on (the case paused), or given again."""

        withdrawn: Annotated[bool, OPERATIONAL]

        def apply(self, aggregate: KnownCase) -> None:
            aggregate.withdrawn = self.withdrawn

    @event(Seen)
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.district: str | None = None
        self.tier: str | None = None
        self.lead: str | None = None
        self.closed = False
        self.withdrawn = False

    @property
    def open(self) -> bool:
        """Not closed, and consent not withdrawn without a basis: its lead may read it."""
        return not self.closed and not self.withdrawn

    @staticmethod
    def create_id(case_id: UUID, **_: Any) -> UUID:
        return known_case_id(case_id)

    def place(self, district: str | None, tier: str) -> None:
        """Listed in `district` (or moved, keeping it) at `tier`; a repeat changes nothing."""
        district = district or self.district
        if district is not None and (district, tier) != (self.district, self.tier):
            self.trigger_event(self.Placed, district=district, tier=tier)

    def note_lead(self, professional_id: str) -> None:
        if professional_id != self.lead:
            self.trigger_event(self.LeadNoted, professional_id=professional_id)

    def close(self) -> None:
        if not self.closed:
            self.trigger_event(self.Closed)

    def note_consent(self, withdrawn: bool) -> None:
        if withdrawn != self.withdrawn:
            self.trigger_event(self.ConsentNoted, withdrawn=withdrawn)
