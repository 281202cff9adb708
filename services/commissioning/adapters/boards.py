"""The boards' projection: facts about every case, fed by the event topics (referral, panel,
commissioning) and rebuildable from them from the beginning.

It reads the topics outside any consumer group (the spec's `reads`), and keeps how far it
has read in the same transaction as the facts, so a crash neither skips nor counts twice.
Every fact is set, never added to: a republished event (the outboxes republish what they
had not recorded as sent) changes nothing. A record that is not a valid MAAG event is kept
in `board_skipped` with the reason (its owner's consumers dead-letter it) and the feed goes
on; event types the boards do not count are passed over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    select,
)
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
    ReferralAccepted,
    ReferralDeclined,
    ReferralPendingConsent,
    ReferralReceived,
    ReferralRedirectedToSocialCare,
)
from contracts.limits import TEXT_CHARS
from maag.runtime.follow.loops import sleep_or_stop
from maag.runtime.follow.projection import create_tables
from maag.runtime.logging import get_logger
from maag.runtime.messaging import kafka
from services.commissioning.domain.boards import Case, Fact

log = get_logger(__name__)

metadata = MetaData()
cases = Table(
    "board_cases",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("district", String(50)),
    Column("received", DateTime(timezone=True)),
    Column("outcome", String(40)),
    Column("outcome_at", DateTime(timezone=True)),
    Column("reason", String(TEXT_CHARS)),
    Column("level", Integer),
    Column("level_change", JSON, nullable=False, default=dict),  # review id -> change
    Column("panel", String(10)),
    Column("panel_at", DateTime(timezone=True)),
    Column("listed", DateTime(timezone=True)),
    Column("lead", DateTime(timezone=True)),
    Column("package", DateTime(timezone=True)),
    Column("closed", DateTime(timezone=True)),
    Column("joined", Boolean, nullable=False, default=False),
)
facts = Table(
    "board_facts",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("case_id", String(36), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", JSON, nullable=False),
)
positions = Table(
    "board_positions",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", Integer, nullable=False),
)
skipped = Table(
    "board_skipped",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", Integer, primary_key=True),
    Column("reason", String(TEXT_CHARS), nullable=False),
)
TABLES = (cases, facts, positions, skipped)


def _upsert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


BLANK: dict[str, Any] = {c.name: None for c in cases.columns} | {
    "level_change": {},
    "joined": False,
}


class Batch:
    """One batch's changes, folded in memory: the cases it touches (read once) and the
    facts it adds, written back in three statements."""

    def __init__(self, session: Session, case_ids: set[str]) -> None:
        self.session = session
        found = session.execute(select(cases).where(cases.c.case_id.in_(case_ids))).mappings()
        self.rows: dict[str, dict[str, Any]] = {
            r["case_id"]: {k: _aware(v) for k, v in r.items()} for r in found
        }
        self.changed: set[str] = set()
        self.facts: dict[str, dict[str, Any]] = {}

    def case(self, case_id: str) -> dict[str, Any]:
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


def project(envelope: Envelope, e: IntegrationEvent, batch: Batch) -> None:
    case_id, at = str(e.case_id), e.occurred_at
    row = batch.case(case_id)
    fact: tuple[str, dict[str, Any]] | None = None
    change: dict[str, Any] = {}
    if isinstance(e, ReferralReceived):
        change = {"district": e.district.value, "received": at}
    elif isinstance(
        e,
        ReferralAccepted
        | ReferralDeclined
        | ReferralRedirectedToSocialCare
        | ReferralPendingConsent,
    ):
        if row["outcome_at"] is None or at >= row["outcome_at"]:
            change = {"outcome": _OUTCOME[type(e)], "outcome_at": at, "reason": e.reason}
            if isinstance(e, ReferralAccepted):
                change |= {"level": int(e.level_of_need), "joined": e.joins_case_id is not None}
                if row["panel"] is None:
                    change |= {"panel": e.panel.value, "panel_at": at}
    elif isinstance(e, CaseListed):
        change = {"listed": _earliest(row["listed"], at)}
    elif isinstance(e, LeadProfessionalAssigned):
        change = {"lead": _earliest(row["lead"], at)}
    elif isinstance(e, PackageCommissioned):
        change = {"package": _earliest(row["package"], at)}
        fact = (
            "commissioned",
            {
                "package_id": str(e.package_id),
                "starts_on": e.starts_on.isoformat(),
                "alternative_to": [a.value for a in e.alternative_to],
                "interventions": [
                    {"provider_id": i.provider_id, "service": i.service} for i in e.interventions
                ],
            },
        )
    elif isinstance(e, CaseEscalated | CaseSteppedDown):
        if row["panel_at"] is None or at >= row["panel_at"]:
            change = {"panel": e.to_panel.value, "panel_at": at}
        kind = "escalated" if isinstance(e, CaseEscalated) else "stepped-down"
        fact = (kind, {"from": e.from_panel.value, "to": e.to_panel.value})
    elif isinstance(e, CaseClosed):
        change = {"closed": at}
    elif isinstance(e, CaseJoined):
        change = {"joined": True}
    elif isinstance(e, PackageReviewed):
        change = {"level_change": {**row["level_change"], envelope.id: e.level_of_need_change}}
        fact = ("reviewed", {"goals": e.goals.value, "package_id": str(e.package_id)})
    elif isinstance(e, PlanReviewed):
        fact = (
            "plan-reviewed",
            {"met": e.goals_met, "partly": e.goals_partly, "not-met": e.goals_not_met},
        )
    elif isinstance(e, PackageDecommissioned):
        fact = (
            "decommissioned",
            {"package_id": str(e.package_id), "effective_from": e.effective_from.isoformat()},
        )
    else:
        return
    row.update(change)
    batch.changed.add(case_id)
    if fact is not None:
        kind, detail = fact
        batch.facts.setdefault(
            envelope.id,
            {"event_id": envelope.id, "kind": kind, "case_id": case_id, "at": at, "detail": detail},
        )


_OUTCOME = {
    ReferralAccepted: "accepted",
    ReferralDeclined: "declined",
    ReferralRedirectedToSocialCare: "redirected-to-social-care",
    ReferralPendingConsent: "pending-consent",
}


def load(engine: Engine) -> tuple[list[Case], list[Fact]]:
    """Every case the referral topic has told of, and every fact."""
    with Session(engine) as session:
        found = [
            Case(
                case_id=r["case_id"],
                district=r["district"],
                received=r["received"],
                outcome=r["outcome"],
                reason=r["reason"],
                level=(
                    min(4, max(1, r["level"] + sum(r["level_change"].values())))
                    if r["level"] is not None
                    else None
                ),
                panel=r["panel"],
                listed=r["listed"],
                lead=r["lead"],
                package=r["package"],
                closed=r["closed"],
                joined=bool(r["joined"]),
            )
            for r in session.execute(select(cases).where(cases.c.received.is_not(None))).mappings()
        ]
        known = [
            Fact(r["kind"], r["case_id"], r["at"], r["detail"])
            for r in session.execute(select(facts)).mappings()
        ]
    return found, known


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
        create_tables(metadata, engine)

    def reset(self) -> None:
        """Forget everything: the next catch-up rebuilds the projection from the beginning."""
        with self.engine.begin() as conn:
            for table in TABLES:
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
                batch = await consumer.getmany(timeout_ms=500, max_records=2000)
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


def reconcile(engine: Engine) -> dict[str, Any]:
    """The boards' projection held against the commissioning service's own record: each
    district's packages, as each counts them. A difference that lasts means something lost
    or doubled on the way from the topics (a moment's difference is the feed catching up)."""
    from services.commissioning.adapters import read_model

    found, known = load(engine)
    district_of = {c.case_id: c.district for c in found}
    boards: dict[str, set[str]] = {}
    for f in known:
        if f.kind == "commissioned":
            district = district_of.get(f.case_id, "(case not yet known)")
            boards.setdefault(district, set()).add(f.detail["package_id"])
    with Session(engine) as session:
        rows = session.execute(
            select(read_model.packages.c.district, read_model.packages.c.package_id)
        ).all()
    commissioning: dict[str, set[str]] = {}
    for district, package_id in rows:
        commissioning.setdefault(district, set()).add(package_id)
    districts = sorted(set(boards) | set(commissioning))
    by_district = {
        d: {"boards": len(boards.get(d, ())), "commissioning": len(commissioning.get(d, ()))}
        for d in districts
    }
    return {
        "packages_by_district": by_district,
        "agree": all(v["boards"] == v["commissioning"] for v in by_district.values()),
    }
