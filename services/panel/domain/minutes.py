"""The minutes of one agenda item: what a meeting discussed about a case and the actions it
agreed, as the chair last recorded them.

One aggregate per item (meeting and case), not the meeting's: the discussion is written about
a child, so it is sealed under the case's data key (its first event names the case), and an
erasure of the case's personal data destroys it while the meeting's own record stays. Each
version is kept in its history."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, SPECIAL
from services.panel.domain.values import Minutes

MINUTES_NAMESPACE = UUID("5d0e7c2a-64f1-4b7e-9a3c-2f8b1e6d4c90")


def item_minutes_id(meeting_id: UUID, case_id: UUID) -> UUID:
    return uuid5(MINUTES_NAMESPACE, f"{meeting_id}:{case_id}")


class ItemMinutes(Aggregate):
    class Started(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]

    class Recorded(Aggregate.Event):
        discussion: Annotated[str | None, SPECIAL]  # None: erased
        actions: Annotated[str | None, SPECIAL]

        def apply(self, item: ItemMinutes) -> None:
            item.minutes = Minutes(self.discussion, self.actions, self.timestamp)

    @event(Started)
    def __init__(self, case_id: UUID, meeting_id: UUID) -> None:
        self.case_id = case_id
        self.meeting_id = meeting_id
        self.minutes: Minutes | None = None

    @staticmethod
    def create_id(case_id: UUID, meeting_id: UUID, **_: object) -> UUID:
        return item_minutes_id(meeting_id, case_id)

    @classmethod
    def start(cls, meeting_id: UUID, case_id: UUID) -> ItemMinutes:
        return cls(case_id=case_id, meeting_id=meeting_id)

    def record(self, discussion: str, actions: str) -> None:
        """The item's minutes, replacing those recorded before; the same again records
        nothing."""
        if self.minutes is not None and (self.minutes.discussion, self.minutes.actions) == (
            discussion,
            actions,
        ):
            return
        self.trigger_event(self.Recorded, discussion=discussion, actions=actions)
