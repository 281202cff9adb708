"""The event-sourced application every service builds on, with its store chosen deliberately."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import psycopg
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import (
    IntegrityError,
    InternalError,
    ProgrammingError,
    Recording,
    StoredEvent,
    Tracking,
)
from eventsourcing.popo import POPOFactory
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresTrackingRecorder
from eventsourcing.system import ProcessApplication
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from maag.runtime import causation
from maag.runtime.settings import Settings
from maag.runtime.store.liveness import check_cheaply
from maag.runtime.store.moved import follow_moved_modules
from maag.runtime.store.one_statement import recorder_env
from maag.runtime.store.sealed import SealingMapper, sealing_env
from maag.runtime.store.shredding import CaseKeys

if TYPE_CHECKING:
    from maag.runtime.store.group_commit import GroupCommit
    from maag.runtime.store.kept import KeptHistories

_CREATE_ATTEMPTS = 5
# notification id, originator id (text), originator version, topic, state (as stored)
StoredRow = tuple[int, str, int, str, bytes]


class InMemoryStoreRefused(RuntimeError):
    pass


def _create_schema(url: str, schema: str) -> None:
    # eventsourcing creates tables, not the schema that holds them.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))


@dataclass(frozen=True)
class _Applied:
    """What a batch of inbound messages did, handed to eventsourcing's `process_event`."""

    objs: list[Aggregate | DomainEventProtocol[UUID]]


class ServiceApplication(ProcessApplication[UUID]):
    """A service's use cases over its event store.

    A `ProcessApplication`, because only a process recorder commits the tracking of an
    inbound message in the same transaction as the events it caused (a plain
    `Application` silently ignores the tracking).
    """

    case_keys: CaseKeys | None = (
        None  # the service's keyring, if it keeps one (what an erasure destroys)
    )
    _writer: GroupCommit | None = None  # made at the first unit committed
    # Long-lived aggregates' histories kept decoded between units of work, where the
    # service names them (`maag.runtime.store.kept`).
    kept: KeptHistories | None = None

    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        follow_moved_modules()  # stored events name the modules their classes were in
        self._writer_lock = threading.Lock()
        # Stored events sealed to their place (maag.runtime.store.sealed): the one line that
        # selects the sealing mapper and cipher through the library's own settings; and on
        # PostgreSQL, each commit in one statement (maag.runtime.store.one_statement).
        es_env = {
            **settings.eventsourcing_env(self.name),
            **sealing_env(settings, self.name),
            **(env or {}),
        }
        es_env = {**recorder_env(es_env), **es_env}
        conninfo = settings.postgres_conninfo
        if conninfo and es_env.get("POSTGRES_SCHEMA") and not settings.store_migrated:
            _create_schema(conninfo, es_env["POSTGRES_SCHEMA"])
        for attempt in range(_CREATE_ATTEMPTS):
            try:
                super().__init__(env=es_env)
                break
            except (InternalError, IntegrityError, ProgrammingError):
                # Two applications sharing a schema (replicas, or a relay and a consumer)
                # starting together can collide creating the shared tracking table or a
                # function ("tuple concurrently updated"): the second attempt finds them made.
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
        datastore = getattr(self.recorder, "datastore", None)
        check_cheaply(getattr(datastore, "pool", None))  # no round trip before each statement
        if isinstance(self.factory, POPOFactory):
            # eventsourcing's default store is in memory: a service on it loses everything.
            raise InMemoryStoreRefused(f"{self.name}: refusing the in-memory event store")

    def keep_keys(self, keys: CaseKeys) -> None:
        """Seal what the service's events hold about the child and family under each
        aggregate's own data key in `keys` (`maag.runtime.store.shredding`)."""
        mapper = self.mapper
        assert isinstance(mapper, SealingMapper), "sealing_env selects the sealing mapper"
        mapper.case_keys = keys
        self.case_keys = keys

    def record(
        self, tracking: Tracking | None, aggregates: Iterable[Aggregate | DomainEventProtocol[UUID]]
    ) -> None:
        """Commit the aggregates' new events (or the events given) together with `tracking`,
        in one transaction.

        With a tracking, through eventsourcing's own processing path (`process_event`: the
        library builds the `ProcessingEvent`, `policy` below collects the events, and the
        process recorder inserts the tracking with them). Here the "event processed" is the
        batch of inbound messages a consumer (or the sender) has already applied to the
        aggregates.

        An aggregate's new events are taken from it here, whether or not the commit then
        succeeds: to retry a failed commit, take the events first and pass those.

        Raises eventsourcing's IntegrityError when `tracking` is not past the recorded position.
        """
        objs = list(aggregates)
        if tracking is None:
            self.save(*objs)
            return
        self._stamp(objs)
        self.process_event(cast(DomainEventProtocol[UUID], _Applied(objs)), tracking)

    def commit_unit(self, aggregates: list[Aggregate]) -> None:
        """Commit a unit of work's aggregates (outside a consumer): many request threads'
        units in few transactions (`maag.runtime.store.group_commit`), so that a service's
        reads, each recorded on its case, do not queue one commit at a time on the store."""
        with self._writer_lock:
            if self._writer is None:
                from maag.runtime.store.group_commit import GroupCommit

                self._writer = GroupCommit(self)
            writer = self._writer
        writer.save(*aggregates)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        super().close()

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """eventsourcing's `save`, with each new event given the current cause first."""
        self._stamp(objs)
        return super().save(*objs, **kwargs)

    @staticmethod
    def _stamp(objs: Iterable[Any]) -> None:
        # Events not yet given their metadata (by their consumer, per message) get the
        # current request's: its cause, its caller and its correlation id.
        values = causation.current_metadata()
        if not values:
            return
        for obj in objs:
            if isinstance(obj, Aggregate):
                causation.give(obj.pending_events, values)
            elif obj is not None:
                causation.give([obj], values)

    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Collects what `record` applied. (Inbound messages arrive from Kafka through
        `maag.runtime.messaging.consumer`, not from eventsourcing's notification log readers.)"""
        if isinstance(domain_event, _Applied):
            processing_event.collect_events(*domain_event.objs)

    def histories(self, ids: Collection[UUID]) -> dict[UUID, list[Any]]:
        """The domain events of each aggregate that exists among `ids`, in one query where
        the store allows (a consumer's batch touches hundreds of aggregates; a round trip
        each would dominate its time). Aggregates are projected from these by the caller,
        so each attempt at a batch starts from unmutated state.

        eventsourcing selects one aggregate's events at a time; this reads its events table
        (named by the recorder) for many at once, and decodes rows with its mapper.
        tests/integration/runtime/store/test_histories.py fails if that stops matching what the
        library itself reads.

        The histories the service keeps decoded (`kept`) are read on from their last event,
        in the same query."""
        kept = self.kept
        held = {
            aggregate_id: events
            for aggregate_id in ids
            if kept is not None and (events := kept.last_kept(aggregate_id)) is not None
        }
        if not held:
            return self._read_histories(ids)
        assert kept is not None
        since = {i: events[-1].originator_version for i, events in held.items()}
        found = self._read_histories(ids, since)
        stale: list[UUID] = []
        for aggregate_id, events in held.items():
            whole = kept.joined(aggregate_id, events, found.pop(aggregate_id, []))
            if whole is None:
                stale.append(aggregate_id)  # the store was restored behind it
            else:
                found[aggregate_id] = whole
        if stale:
            found.update(self._read_histories(stale))
        return found

    def _read_histories(
        self, ids: Collection[UUID], since: Mapping[UUID, int] | None = None
    ) -> dict[UUID, list[Any]]:
        """The events of each of `ids` that has any: from version `since[id]` on where given,
        else all of them."""
        if not ids:
            return {}
        since = since or {}
        ids = list(dict.fromkeys(ids))  # each once (joined, one named twice would come twice)
        recorder = self.recorder
        if not isinstance(recorder, PostgresAggregateRecorder):
            histories = {i: list(self.events.get(i, gt=since.get(i, 1) - 1)) for i in ids}
            return {i: history for i, history in histories.items() if history}
        if since:
            # each aggregate from its own first version wanted: one query, joined on the
            # (id, version) pairs, which the table's primary key serves
            rows = _of_aggregates(
                recorder,
                "SELECT originator_id, originator_version, topic, state FROM {} AS e "
                "JOIN unnest(%s::uuid[], %s::integer[]) AS k(id, v) "
                "ON e.originator_id = k.id AND e.originator_version >= k.v "
                "ORDER BY originator_id, originator_version",
                list(ids),
                [since.get(i, 1) for i in ids],
            )
        else:
            rows = _of_aggregates(
                recorder,
                "SELECT originator_id, originator_version, topic, state FROM {} "
                "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version",
                list(ids),
            )
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

    def versions(self, ids: Collection[UUID]) -> dict[UUID, int]:
        """Each existing aggregate's version among `ids` (its newest event's), read from the
        store's index without decoding any event: whether something kept of it is current."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresAggregateRecorder):
            return {
                aggregate_id: newest[0].originator_version
                for aggregate_id in ids
                if (newest := list(self.events.get(aggregate_id, desc=True, limit=1)))
            }
        rows = _of_aggregates(
            recorder,
            "SELECT originator_id, max(originator_version) AS version FROM {} "
            "WHERE originator_id = ANY(%s) GROUP BY originator_id",
            list(ids),
        )
        return {row["originator_id"]: int(row["version"]) for row in rows}

    def stored_rows(self, upto: int, page: int = 20_000) -> Iterator[StoredRow]:
        """Every stored event up to notification `upto`, in notification order, as stored
        (state encrypted where the store encrypts): what the hash chain covers.

        On PostgreSQL this reads the events table (named by the recorder, as `histories`
        does) through one server-side cursor: the tamper check walks millions of rows, and
        eventsourcing's notification objects would cost more than the hashing (and rows come
        in binary: a text bytea would be hex to decode). Elsewhere it
        reads eventsourcing's notification log."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresAggregateRecorder):
            for n in self.notifications_after(0):
                if n.id > upto:
                    return
                yield n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state)
            return
        query = SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            "FROM {}.{} WHERE notification_id <= %s ORDER BY notification_id"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with (
            recorder.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor(name="maag_stored_rows", row_factory=tuple_row) as curs,
        ):
            curs.itersize = page
            curs.execute(query, (upto,), binary=True)  # bytea as bytes, not hex to decode
            yield from curs

    def position(self, name: str) -> int | None:
        return self.recorder.max_tracking_id(name)

    def positions(self, *names: str) -> dict[str, int | None]:
        """Each tracked position in `names` (None where there is none), in one query: a
        consumer reads two for each batch of each partition."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresTrackingRecorder):
            return {name: recorder.max_tracking_id(name) for name in names}
        # eventsourcing's tracking table, read as its own `max_tracking_id` reads it (its
        # columns and name are what `test_positions` notices change)
        sql = SQL(
            "SELECT application_name, MAX(notification_id) FROM {}.{} "
            "WHERE application_name = ANY(%s) GROUP BY application_name"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.tracking_table_name))
        with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as c:
            c.execute(sql, (list(names),), prepare=True)
            found: dict[str, int] = dict(c.fetchall())
        return {name: found.get(name) for name in names}

    def notifications(self, after: int, limit: int) -> Sequence[Any]:
        return self.recorder.select_notifications(start=after + 1, limit=limit)

    def notifications_after(self, after: int, page: int = 5000) -> Iterator[Any]:
        """Every stored event after `after`, in notification order, read a page at a time."""
        while batch := self.notifications(after, page):
            yield from batch
            after = batch[-1].id


def _of_aggregates(recorder: PostgresAggregateRecorder, query: str, *params: Any) -> list[Any]:
    """`query` over eventsourcing's events table (its `{}`), with `params`."""
    sql = SQL(query).format(
        SQL("{}.{}").format(
            Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
        )
    )
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(sql, params)
        return curs.fetchall()
