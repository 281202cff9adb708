"""The boards' projection: facts about every case, fed by the event topics (referral, panel,
commissioning) and rebuildable from them from the beginning (`application/tables.py` holds
its tables; `application/queries/board_report.py` reads them).

It reads the topics outside any consumer group (the spec's `reads`), and keeps how far it
has read in the same transaction as the facts, so a crash neither skips nor counts twice.
Every fact is set, never added to: a republished event (the outboxes republish what they
had not recorded as sent) changes nothing. A record that is not a valid MAAG event is kept
in `board_skipped` with the reason (its owner's consumers dead-letter it) and the feed goes
on; event types the boards do not count are passed over (`FOLD` names those it counts).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contracts.envelope import Envelope, EnvelopeError, decode
from contracts.events import IntegrationEvent
from contracts.events.commissioning import (
    PackageCommissioned,
    PackageDecommissioned,
    PackageReviewed,
)
from contracts.events.panel import (
    CaseClosed,
    CaseEscalated,
    CaseJoined,
    CaseListed,
    CaseSteppedDown,
    LeadProfessionalAssigned,
    PlanReviewed,
)
from contracts.events.referral import (
    ChildMatchConfirmed,
    ReferralAccepted,
    ReferralDeclined,
    ReferralPendingConsent,
    ReferralReceived,
    ReferralReceivedV2,
    ReferralRedirectedToSocialCare,
)
from contracts.limits import TEXT_CHARS
from maag.runtime.follow.loops import sleep_or_stop
from maag.runtime.follow.projection import create_tables
from maag.runtime.logging import get_logger
from maag.runtime.messaging import kafka
from services.commissioning.application.tables import (
    BOARD_TABLES,
    BOARDS,
    cases,
    facts,
    positions,
    skipped,
)

log = get_logger(__name__)


def _upsert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


Row = dict[str, Any]  # a case's row in board_cases
BLANK: Row = {c.name: None for c in cases.columns} | {
    "level_change": {},
    "joined": False,
}


class Batch:
    """One batch's changes, folded in memory: the cases it touches (read once) and the
    facts it adds, written back in three statements."""

    def __init__(self, session: Session, case_ids: set[str]) -> None:
        self.session = session
        found = session.execute(select(cases).where(cases.c.case_id.in_(case_ids))).mappings()
        self.rows: dict[str, Row] = {
            r["case_id"]: {k: _aware(v) for k, v in r.items()} for r in found
        }
        self.changed: set[str] = set()
        self.facts: dict[str, dict[str, Any]] = {}

    def case(self, case_id: str) -> Row:
        """The case's row, new if the boards have not heard of the case (events of a case may
        arrive from its three topics in any order)."""
        return self.rows.setdefault(case_id, {**BLANK, "case_id": case_id})

    def write(self) -> None:
        if self.changed:
            insert = _upsert(self.session, cases)
            columns = [c.name for c in cases.columns if c.name != "case_id"]
            self.session.execute(
                insert.on_conflict_do_update(
                    index_elements=["case_id"],
                    set_={c: getattr(insert.excluded, c) for c in columns},
                ),
                [self.rows[c] for c in sorted(self.changed)],
            )
        if self.facts:
            self.session.execute(
                _upsert(self.session, facts).on_conflict_do_nothing(), list(self.facts.values())
            )


def _aware(value: Any) -> Any:
    """A time as stored: SQLite (unit tests, a laptop) forgets the offset, which is UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _earliest(current: datetime | None, at: datetime) -> datetime:
    return at if current is None or at < current else current


# What one event changes of its case's row, and the fact it adds (kind, detail), if any.
Change = tuple[Row, tuple[str, dict[str, Any]] | None]
Fold = Callable[[Envelope, Any, Row], Change]


def project(envelope: Envelope, e: IntegrationEvent, batch: Batch) -> None:
    fold = FOLD.get(type(e))
    if fold is None:
        return  # not an event the boards count
    case_id = str(e.case_id)
    row = batch.case(case_id)
    change, fact = fold(envelope, e, row)
    row.update(change)
    batch.changed.add(case_id)
    if fact is not None:
        kind, detail = fact
        batch.facts.setdefault(
            envelope.id,
            {
                "event_id": envelope.id,
                "kind": kind,
                "case_id": case_id,
                "at": e.occurred_at,
                "detail": detail,
            },
        )


def _received(_: Envelope, e: ReferralReceived | ReferralReceivedV2, row: Row) -> Change:
    return {"district": e.district.value, "received": e.occurred_at}, None


_OUTCOME: dict[type[IntegrationEvent], str] = {
    ReferralAccepted: "accepted",
    ReferralDeclined: "declined",
    ReferralRedirectedToSocialCare: "redirected-to-social-care",
    ReferralPendingConsent: "pending-consent",
}


def _outcome(
    _: Envelope,
    e: ReferralAccepted
    | ReferralDeclined
    | ReferralRedirectedToSocialCare
    | ReferralPendingConsent,
    row: Row,
) -> Change:
    at = e.occurred_at
    if row["outcome_at"] is not None and at < row["outcome_at"]:
        return {}, None  # an older outcome does not replace a newer one
    change: Row = {"outcome": _OUTCOME[type(e)], "outcome_at": at, "reason": e.reason}
    if isinstance(e, ReferralAccepted):
        change |= {"level": int(e.level_of_need), "joined": e.joins_case_id is not None}
        if row["panel"] is None:
            change |= {"panel": e.panel.value, "panel_at": at}
    return change, None


def _listed(_: Envelope, e: CaseListed, row: Row) -> Change:
    return {"listed": _earliest(row["listed"], e.occurred_at)}, None


def _lead(_: Envelope, e: LeadProfessionalAssigned, row: Row) -> Change:
    return {"lead": _earliest(row["lead"], e.occurred_at)}, None


def _commissioned(_: Envelope, e: PackageCommissioned, row: Row) -> Change:
    detail = {
        "package_id": str(e.package_id),
        "panel": e.panel.value,
        "starts_on": e.starts_on.isoformat(),
        "alternative_to": [a.value for a in e.alternative_to],
        "interventions": [
            {"provider_id": i.provider_id, "service": i.service} for i in e.interventions
        ],
    }
    return {"package": _earliest(row["package"], e.occurred_at)}, ("commissioned", detail)


def _moved(_: Envelope, e: CaseEscalated | CaseSteppedDown, row: Row) -> Change:
    change: Row = {}
    if row["panel_at"] is None or e.occurred_at >= row["panel_at"]:
        change = {"panel": e.to_panel.value, "panel_at": e.occurred_at}
    kind = "escalated" if isinstance(e, CaseEscalated) else "stepped-down"
    return change, (kind, {"from": e.from_panel.value, "to": e.to_panel.value})


def _closed(_: Envelope, e: CaseClosed, row: Row) -> Change:
    return {"closed": e.occurred_at}, ("closed", {"outcomes": [o.value for o in e.outcomes]})


def _joined(_: Envelope, e: CaseJoined, row: Row) -> Change:
    return {"joined": True}, None


def _reviewed(envelope: Envelope, e: PackageReviewed, row: Row) -> Change:
    change = {"level_change": {**row["level_change"], envelope.id: e.level_of_need_change}}
    return change, ("reviewed", {"goals": e.goals.value, "package_id": str(e.package_id)})


def _plan_reviewed(_: Envelope, e: PlanReviewed, row: Row) -> Change:
    goals = {"met": e.goals_met, "partly": e.goals_partly, "not-met": e.goals_not_met}
    return {}, ("plan-reviewed", goals)


def _matched(_: Envelope, e: ChildMatchConfirmed, row: Row) -> Change:
    # a person confirmed this referral's child is one referred before: a re-referral
    return {}, ("re-referred", {})


def _decommissioned(_: Envelope, e: PackageDecommissioned, row: Row) -> Change:
    detail = {"package_id": str(e.package_id), "effective_from": e.effective_from.isoformat()}
    return {}, ("decommissioned", detail)


FOLD: dict[type[IntegrationEvent], Fold] = {
    ReferralReceived: _received,  # the topic's history before v2
    ReferralReceivedV2: _received,
    **{kind: _outcome for kind in _OUTCOME},
    CaseListed: _listed,
    LeadProfessionalAssigned: _lead,
    PackageCommissioned: _commissioned,
    CaseEscalated: _moved,
    CaseSteppedDown: _moved,
    CaseClosed: _closed,
    CaseJoined: _joined,
    PackageReviewed: _reviewed,
    PlanReviewed: _plan_reviewed,
    PackageDecommissioned: _decommissioned,
    ChildMatchConfirmed: _matched,
}


# The most records applied in one transaction.
BATCH_RECORDS = 2000
# While following the topics, how long a batch waits for more records before it is applied:
# each apply is a transaction that locks the positions and reads its cases' rows, which
# a record at a time made the feed a fifth of the service's processor time under load. The
# boards read months and years; a second later is not felt.
LINGER_SECONDS = 1.0


async def _gathered(
    consumer: AIOKafkaConsumer, *, linger: bool
) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
    """The next records, up to `BATCH_RECORDS`; with `linger`, those that come within
    `LINGER_SECONDS` of the first too (each partition's in its order)."""
    batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = await consumer.getmany(
        timeout_ms=500, max_records=BATCH_RECORDS
    )
    count = sum(len(rs) for rs in batch.values())
    deadline = time.monotonic() + LINGER_SECONDS
    while linger and count and count < BATCH_RECORDS:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        more = await consumer.getmany(
            timeout_ms=max(1, int(left * 1000)), max_records=BATCH_RECORDS - count
        )
        for tp, records in more.items():
            batch.setdefault(tp, []).extend(records)
            count += len(records)
    return batch


class BoardFeed:
    """Reads the topics from where the projection stopped, applying each batch with the
    new positions in one transaction."""

    def __init__(
        self, engine: Engine, bootstrap: str, topics: Sequence[str], options: dict[str, Any]
    ) -> None:
        self.engine = engine
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self.options = options
        create_tables(BOARDS, engine)

    def reset(self) -> None:
        """Forget everything: the next catch-up rebuilds the projection from the beginning."""
        with self.engine.begin() as conn:
            for table in BOARD_TABLES:
                conn.execute(table.delete())

    def apply(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> dict[TopicPartition, int]:
        """Apply records (those before a partition's stored position are passed over) and
        store the positions after them. Returns where each partition now stands."""
        with Session(self.engine) as session, session.begin():
            stored = {
                (r.topic, r.partition): r.next_offset
                for r in session.execute(select(positions).with_for_update()).all()
            }
            after: dict[tuple[str, int], int] = {}
            fresh: list[ConsumerRecord[bytes, bytes]] = []
            for record in records:
                tp = (record.topic, record.partition)
                if record.offset < after.get(tp, stored.get(tp, 0)):
                    continue  # applied already (a redelivery, or another reader got here)
                fresh.append(record)
                after[tp] = record.offset + 1
            decoded, aside = [], []
            for record in fresh:
                try:
                    decoded.append(decode(record.headers or [], record.value))
                except EnvelopeError as e:
                    aside.append((record, str(e)))
                except Exception as e:  # any record, however hostile, is set aside
                    aside.append((record, f"unreadable record ({type(e).__name__})"))
            batch = Batch(session, {str(event.case_id) for _, event in decoded})
            for envelope, event in decoded:
                project(envelope, event, batch)
            batch.write()
            if aside:
                log.warning("board records set aside", count=len(aside))
                session.execute(
                    _upsert(session, skipped).on_conflict_do_nothing(),
                    [
                        {
                            "topic": r.topic,
                            "partition": r.partition,
                            "offset": r.offset,
                            "reason": reason[:TEXT_CHARS],
                        }
                        for r, reason in aside
                    ],
                )
            for (topic, partition), offset in after.items():
                insert = _upsert(session, positions).values(
                    topic=topic, partition=partition, next_offset=offset
                )
                session.execute(
                    insert.on_conflict_do_update(
                        index_elements=["topic", "partition"], set_={"next_offset": offset}
                    )
                )
            stored |= after
        return {TopicPartition(t, p): o for (t, p), o in stored.items()}

    def _stored(self) -> dict[TopicPartition, int]:
        with self.engine.connect() as conn:
            return {
                TopicPartition(r.topic, r.partition): r.next_offset
                for r in conn.execute(select(positions)).all()
            }

    async def catch_up(self, stop: asyncio.Event | None = None) -> int:
        """Read every partition to the end it has now; returns how many records were read.
        With `stop`, go on following the topics until it is set."""
        parts = await kafka.partitions(self.bootstrap, self.topics, self.options)
        if not parts:
            return 0
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka.servers(self.bootstrap),
            enable_auto_commit=False,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            **self.options,
        )
        await consumer.start()
        read = 0
        try:
            consumer.assign(parts)
            stored = await asyncio.to_thread(self._stored)
            begins = await consumer.beginning_offsets(parts)
            for tp in parts:
                consumer.seek(tp, max(stored.get(tp, 0), begins[tp]))
            ends = await consumer.end_offsets(parts)
            while stop is None or not stop.is_set():
                batch = await _gathered(consumer, linger=stop is not None)
                records = [r for rs in batch.values() for r in rs]
                if records:
                    now = await asyncio.to_thread(self.apply, records)
                    read += len(records)
                    for tp, got in batch.items():
                        if now.get(tp, 0) != got[-1].offset + 1:
                            consumer.seek(tp, now.get(tp, 0))  # the store says otherwise
                if stop is None and all([await consumer.position(tp) >= ends[tp] for tp in parts]):
                    break
            return read
        finally:
            await consumer.stop()

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the topics while the service runs (retrying while the broker is away)."""
        while not stop.is_set():
            try:
                await self.catch_up(stop)
            except Exception as e:  # the broker or the store away: try again shortly
                log.warning("board feed paused", error=type(e).__name__)
            # back here when stopping, or when the topics do not exist yet
            await sleep_or_stop(stop, 2.0)
