"""Which reminder is the live one for a package's review: the panel lists a package's review
again when the case changes tier, when the review is brought forward and when a meeting leaves
it undecided, and each listing replaces the one before. One aggregate per package (of a case)
remembers the latest listing and the reminder it asked for, so the next listing finds the
reminder it supersedes in the same unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL
from services.notifications.domain.reminder import NAMESPACE


def package_reminders_id(case_id: UUID, package_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"package-reminders|{case_id}|{package_id}")


class PackageReminders(Aggregate):
    class Started(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]
        package_id: Annotated[UUID, OPERATIONAL]

    class Listed(Aggregate.Event):
        """The package's review listed again: `reminder_id` is the reminder it asked for
        (None: no lead professional to remind)."""

        source_event_id: Annotated[str, OPERATIONAL]
        listed_at: Annotated[str, OPERATIONAL]  # the listing's `occurred_at`, as ISO text
        reminder_id: Annotated[UUID | None, OPERATIONAL]

        def apply(self, aggregate: PackageReminders) -> None:
            aggregate.source_event_id = self.source_event_id
            aggregate.listed_at = datetime.fromisoformat(self.listed_at)
            aggregate.reminder_id = self.reminder_id

    @event(Started)
    def __init__(self, case_id: UUID, package_id: UUID) -> None:
        self.case_id = case_id
        self.package_id = package_id
        self.source_event_id: str | None = None
        self.listed_at: datetime | None = None
        self.reminder_id: UUID | None = None

    @staticmethod
    def create_id(case_id: UUID, package_id: UUID, **_: Any) -> UUID:
        return package_reminders_id(case_id, package_id)

    def is_newer(self, source_event_id: str, listed_at: datetime) -> bool:
        """Whether a listing comes after the latest one seen. Listings are ordered by their
        `occurred_at` (when the panel listed the review; one case's events are recorded in
        order), not by the meeting's start: a review brought forward moves to an EARLIER
        meeting. Equal times fall back to the event id, so the order is total: the same
        listing again, or an older one arriving late, is never newer."""
        if self.listed_at is None or self.source_event_id is None:
            return True
        return (listed_at, source_event_id) > (self.listed_at, self.source_event_id)

    def note_listing(
        self, source_event_id: str, listed_at: datetime, reminder_id: UUID | None
    ) -> None:
        self.trigger_event(
            self.Listed,
            source_event_id=source_event_id,
            listed_at=listed_at.isoformat(),
            reminder_id=reminder_id,
        )
