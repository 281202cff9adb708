"""The event-sourced application every service builds on, with its store chosen deliberately."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import Recording, StoredEvent, Tracking
from eventsourcing.popo import POPOFactory
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.system import ProcessApplication
from psycopg.sql import SQL, Identifier

from maag.runtime import causation
from maag.runtime.settings import Settings


class InMemoryStoreRefused(RuntimeError):
    pass


def _create_schema(url: str, schema: str) -> None:
    # eventsourcing creates tables, not the schema that holds them.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))


class ServiceApplication(ProcessApplication[UUID]):
    """A service's use cases over its event store.

    A `ProcessApplication`, because only a process recorder commits the tracking of an
    inbound message in the same transaction as the events it caused (a plain
    `Application` silently ignores the tracking).
    """

    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        es_env = {**settings.eventsourcing_env(self.name), **(env or {})}
        if settings.postgres_url and es_env.get("POSTGRES_SCHEMA"):
            _create_schema(settings.postgres_url, es_env["POSTGRES_SCHEMA"])
        super().__init__(env=es_env)
        if isinstance(self.factory, POPOFactory):
            # eventsourcing's default store is in memory: a service on it loses everything.
            raise InMemoryStoreRefused(f"{self.name}: refusing the in-memory event store")

    def record(
        self, tracking: Tracking | None, aggregates: Iterable[Aggregate | DomainEventProtocol[UUID]]
    ) -> list[Recording[UUID]]:
        """Commit the aggregates' new events (or the events given) together with `tracking`,
        in one transaction.

        An aggregate's new events are taken from it here, whether or not the commit then
        succeeds: to retry a failed commit, take the events first and pass those.

        Raises eventsourcing's IntegrityError when `tracking` is not past the recorded position.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent(tracking)
        processing_event.collect_events(*aggregates)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        # Every path to the store passes here: events not yet given a cause get the current one.
        causation.stamp(processing_event.events, causation.current())
        return super()._record(processing_event)

    def histories(self, ids: Collection[UUID]) -> dict[UUID, list[Any]]:
        """The domain events of each aggregate that exists among `ids`, in one query where
        the store allows (a consumer's batch touches hundreds of aggregates; a round trip
        each would dominate its time). Aggregates are projected from these by the caller,
        so each attempt at a batch starts from unmutated state."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresAggregateRecorder):
            return {
                aggregate_id: list(history)
                for aggregate_id in ids
                if (history := list(self.events.get(aggregate_id)))
            }
        query = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {}.{} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, (list(ids),))
            rows = curs.fetchall()
        found: dict[UUID, list[Any]] = defaultdict(list)
        for row in rows:
            stored = StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            found[row["originator_id"]].append(self.mapper.to_domain_event(stored))
        return dict(found)

    def position(self, name: str) -> int | None:
        return self.recorder.max_tracking_id(name)

    def policy(self, domain_event: Any, processing_event: Any) -> None:
        """Unused: inbound events arrive from Kafka through `maag.runtime.consumer`."""

    def notifications(self, after: int, limit: int) -> Sequence[Any]:
        return self.recorder.select_notifications(start=after + 1, limit=limit)

    def notifications_after(self, after: int, page: int = 5000) -> Iterator[Any]:
        """Every stored event after `after`, in notification order, read a page at a time."""
        while batch := self.notifications(after, page):
            yield from batch
            after = batch[-1].id
