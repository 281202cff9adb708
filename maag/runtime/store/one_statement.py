"""A commit to the event store in one statement: the consumer's position and the events it
caused, each event table's lock and its NOTIFY, sent as one call of a function in the
store's schema, in the connection's own implicit transaction; and a position alone (the
relay's) as the library's upsert without the BEGIN and COMMIT around it.

eventsourcing's process recorder commits the same in a pipeline of seven statements
(BEGIN, the tracking upsert, SET LOCAL lock_timeout, LOCK TABLE ... IN EXCLUSIVE MODE,
NOTIFY, the INSERT ... FROM unnest of its composite type, COMMIT), and every commit of
every service goes through it: the pipeline's client side was a seventh of the services'
processor time under `bench.e2e`, and each of those statements is one more the server
parses and runs. The function does the same things in the same order, under the same
lock, raising the library's IntegrityError (as unique_violation) where it would: a
duplicate aggregate version, or a position not past the one recorded.

The one place the library is reached for this: eventsourcing builds its process recorder
from `PROCESS_RECORDER_TOPIC` (a public setting; `recorder_env` names the class below), and
`OneStatementRecorder` overrides its public `insert_events` and `insert_tracking`, reading
the statements and names the library builds for its own (the events and tracking tables,
the tracking upsert, the channel, the lock timeout).
tests/integration/runtime/store/test_one_statement.py fails if those change or if a commit
here differs from the library's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

# The library's name for its own function is es_insert_events_<type>; this one is per table.
_FUNCTION = "maag_commit_{}"
_MAX_IDENTIFIER = PostgresProcessRecorder.MAX_IDENTIFIER_LEN


def recorder_env(env: dict[str, str]) -> dict[str, str]:
    """The library setting that selects the recorder below, for a store on PostgreSQL (`env`:
    the rest of the library's settings)."""
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
        return {}
    return {"PROCESS_RECORDER_TOPIC": f"{__name__}:OneStatementRecorder"}


class OneStatementRecorder(PostgresProcessRecorder):
    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(
            datastore,
            events_table_name=events_table_name,
            tracking_table_name=tracking_table_name,
        )
        self.commit_function_name = _FUNCTION.format(events_table_name)[:_MAX_IDENTIFIER]
        schema = Identifier(datastore.schema)
        function = Identifier(self.commit_function_name)
        ids = Identifier(datastore.originator_id_type)
        # after the library's own statements: its tables come first
        self.sql_create_statements.append(self._create_function(schema, function, ids))
        self.commit_statement = SQL(
            "SELECT * FROM {}.{}(%b::{}[], %b::bigint[], %b::text[], %b::bytea[], %s::text, "
            "%s::bigint)"
        ).format(schema, function, ids)

    def _create_function(
        self, schema: Identifier, function: Identifier, ids: Identifier
    ) -> Composed:
        events = SQL("{}.{}").format(schema, Identifier(self.events_table_name))
        tracking = SQL("{}.{}").format(schema, Identifier(self.tracking_table_name))
        # As the library's pipeline: the tracking (its single-row upsert: a position not past
        # the recorded one changes no row, which the library raises as IntegrityError), then
        # for events the lock (with its timeout), the NOTIFY and the insert, in array order.
        # The events come as four arrays, not one of the library's composite type: psycopg
        # writes a composite array as text, escaping each state in Python; these it writes
        # in binary (%b in the call).
        return SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}("
            "ids {ids}[], versions bigint[], topics text[], states bytea[], "
            "tracked_name text, tracked_id bigint) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
            "BEGIN "
            "IF tracked_name IS NOT NULL THEN "
            "INSERT INTO {tracking} AS t (application_name, notification_id) "
            "VALUES (tracked_name, tracked_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = tracked_id "
            "WHERE t.notification_id < tracked_id; "
            "IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'unique_violation', "
            "MESSAGE = 'Failed to record tracking for ' || tracked_name || ' ' || tracked_id; "
            "END IF; "
            "END IF; "
            "IF cardinality(ids) > 0 THEN "
            "SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "LOCK TABLE {events} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; "
            "RETURN QUERY INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id; "
            "END IF; "
            "END $BODY$"
        ).format(
            schema=schema,
            function=function,
            ids=ids,
            tracking=tracking,
            events=events,
            lock_timeout=SQL(str(int(self.datastore.lock_timeout))),
            channel=Identifier(self.channel_name),
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        if not self.datastore.single_row_tracking:  # the library's legacy tables: its path
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        params = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            tracking.application_name if tracking else None,
            tracking.notification_id if tracking else None,
        )
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(self.commit_statement, params, prepare=True)
            inserted = [int(row[0]) for row in curs.fetchall()]
        # as the library: the ids of what was inserted, None for a tracking alone
        return inserted if stored_events else None

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_tracking(self, tracking: Tracking) -> None:
        """A position alone (the relay's, after each batch it published): the library's own
        insert of it, as its own statement (the library wraps it in BEGIN and COMMIT)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            self._insert_tracking(curs, tracking)
