"""The event-sourced application every service builds on, with its store chosen deliberately."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording, Tracking
from eventsourcing.popo import POPOFactory
from eventsourcing.system import ProcessApplication

from maag.runtime.settings import Settings


class InMemoryStoreRefused(RuntimeError):
    pass


class ServiceApplication(ProcessApplication[UUID]):
    """A service's use cases over its event store.

    A `ProcessApplication`, because only a process recorder commits the tracking of an
    inbound message in the same transaction as the events it caused (a plain
    `Application` silently ignores the tracking).
    """

    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        super().__init__(env={**settings.eventsourcing_env(self.name), **(env or {})})
        if isinstance(self.factory, POPOFactory):
            # eventsourcing's default store is in memory: a service on it loses everything.
            raise InMemoryStoreRefused(f"{self.name}: refusing the in-memory event store")

    def record(
        self, tracking: Tracking | None, aggregates: Iterable[Aggregate]
    ) -> list[Recording[UUID]]:
        """Commit the aggregates' new events together with `tracking`, in one transaction.

        Raises eventsourcing's IntegrityError when `tracking` is not past the recorded position.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent(tracking)
        processing_event.collect_events(*aggregates)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def position(self, name: str) -> int | None:
        return self.recorder.max_tracking_id(name)

    def policy(self, domain_event: Any, processing_event: Any) -> None:
        """Unused: inbound events arrive from Kafka through `maag.runtime.consumer`."""

    def notifications(self, after: int, limit: int) -> Sequence[Any]:
        return self.recorder.select_notifications(start=after + 1, limit=limit)
