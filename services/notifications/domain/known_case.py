"""What the notifications service knows of a case's scope: its district and the tier holding
it, from the panel's listings and moves. The one access policy (`maag.runtime.policy`) asks
it who may read the emails sent about the case (a panel member: of that district and tier)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL


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

    @event(Seen)
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.district: str | None = None
        self.tier: str | None = None

    @staticmethod
    def create_id(case_id: UUID, **_: Any) -> UUID:
        return known_case_id(case_id)

    def place(self, district: str | None, tier: str) -> None:
        """Listed in `district` (or moved, keeping it) at `tier`; a repeat changes nothing."""
        district = district or self.district
        if district is not None and (district, tier) != (self.district, self.tier):
            self.trigger_event(self.Placed, district=district, tier=tier)
