"""Tamper evidence: a keyed hash chain over a service's stored events, in notification
order, covering the index of which aggregates belong to which case; its head is signed and
anchored outside the database (`maag.runtime.evidence.anchors`).

Each link is an HMAC, under a key the database does not hold (`ChainKeys`), of the previous
link, the stored event exactly as stored (notification id, originator, version, topic and
the state bytes, encrypted where the store encrypts) and the case the event's aggregate
belongs to (for an aggregate's first event). So, without the key:
- an event altered, deleted, inserted into a gap or moved after it was chained breaks the
  chain at that event, and a history rewritten and re-chained fails every link from the
  first rewritten one;
- a case-index row deleted or added disagrees with the chained case of that aggregate.
Each stored event also carries its own MAC (`maag.runtime.store.sealed`), written by the
service at commit over (originator id, version, topic, state as stored) under a key the
database does not hold: an event inserted or moved before the chainer reached it (which the
chainer then chains, as it chains whatever is stored) fails its MAC, and the walk names it.
Events of the previous release carry none; they are legitimate only up to the cut-over the
chainer records (keyed) when it first runs: the last unsealed event before the first sealed
one. Every unsealed event after it is reported.

With the key (an insider with the services' secrets) a history can be re-chained, and
events deleted with their chain rows at the tail leave a clean chain: the anchors catch
both, since an anchored head must still be in the chain with the hash it was signed with.

The chain sits beside the events, in the service's own schema; a chainer keeps it up to
date like a projection, and `maag audit verify` walks it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier
from sqlalchemy import (
    BigInteger,
    Column,
    LargeBinary,
    MetaData,
    Table,
    Uuid,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from maag.runtime.evidence.case_index import CaseIndex
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.follower import Follower, Wakeup, in_thread
from maag.runtime.follow.projection import create_tables
from maag.runtime.logging import get_logger
from maag.runtime.store.application import ServiceApplication, StoredRow
from maag.runtime.store.sealed import BODY, MAGIC, Sealer
from maag.runtime.web import metrics

log = get_logger(__name__)
GENESIS = bytes(32)
# The chain's row 0 (no notification has that id) is the cut-over from the previous release:
# the last notification it may have stored without a MAC (8 bytes, big-endian), then that
# number's HMAC under the link key. In the chain table, so append-only with it.
CUTOVER = 0
SEP = b"\x1f"  # unit separator: no two different events give the same message


class Linker:
    """HMAC-SHA256 (RFC 2104) under one key, with the key's inner and outer pads hashed
    once: the same digest as `hmac.digest(key, message, "sha256")` at half its cost, which
    is most of a tamper check's time (test_chain.py holds the two equal)."""

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def __call__(
        self,
        previous: bytes,
        notification_id: int,
        originator_id: str,
        version: int,
        topic: str,
        case_id: str | None,
        state: bytes,
    ) -> bytes:
        """The link after `previous` for one stored event (ids as hyphenated text)."""
        inner = self._inner.copy()
        inner.update(
            b"%b%d\x1f%b\x1f%d\x1f%b\x1f%b\x1f%b"
            % (
                previous,
                notification_id,
                originator_id.encode(),
                version,
                topic.encode(),
                case_id.encode() if case_id is not None else b"",
                state,
            )
        )
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


@dataclass(frozen=True)
class Break:
    notification_id: int  # 0: not one notification (a case-index row, an anchor)
    # altered | deleted | inserted | unsealed | unindexed | misindexed | truncated | rechained
    # | forged | unanchored | stale | witness
    kind: str
    detail: str

    def __str__(self) -> str:
        where = f"notification {self.notification_id}" if self.notification_id else "store"
        return f"{where}: {self.kind} ({self.detail})"


@dataclass(frozen=True)
class Anchored:
    """A chain head as signed and published (already checked against its signature)."""

    head: int
    hash: bytes
    label: str  # where and when it was anchored, for the report
    at: datetime | None = None  # when it was anchored (as signed)


@dataclass(frozen=True)
class Verdict:
    chained: int
    head: int  # the last notification the chain covers
    stored_head: int  # the newest stored; those after `head` are not covered yet
    breaks: list[Break]
    anchors: int = 0  # anchors the chain was compared with
    anchored_head: int = 0  # the latest of them

    @property
    def clean(self) -> bool:
        return not self.breaks


class EventChain:
    def __init__(
        self,
        app: ServiceApplication,
        engine: Engine,
        keys: ChainKeys,
        batch_size: int = 2000,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.app = app
        self.keys = keys
        self.link = Linker(keys.link)
        self.wakeup = wakeup or Wakeup(None, None)
        self.engine = engine
        self.batch_size = batch_size
        self.table = chain_table(app.name)
        create_tables(self.table.metadata, engine)
        self.index = CaseIndex(app, engine)
        self._cutover_recorded = False

    def _cutover_mac(self, legacy_upto: int) -> bytes:
        return hmac.digest(self.keys.link, b"maag/cutover\x1f%d" % legacy_upto, "sha256")

    def record_cutover(self, session: Session) -> None:
        """Record (keyed) the last notification the previous release may have stored without
        a MAC, if not recorded yet: the chainer does so before it first chains. The last
        unsealed event before the first sealed one (0 in a store this release began)."""
        row = self.table.c.notification_id == CUTOVER
        if session.execute(select(self.table.c.hash).where(row)).first() is None:
            upto = _legacy_upto(self.app)
            record = upto.to_bytes(8, "big") + self._cutover_mac(upto)
            session.execute(self.table.insert(), [{"notification_id": CUTOVER, "hash": record}])
            log.info("chain cut-over recorded", service=self.keys.service, legacy_upto=upto)

    def cutover(self, session: Session) -> tuple[int | None, bool]:
        """The recorded cut-over (None when it is missing or its MAC does not check), and
        whether a record is there at all."""
        row = self.table.c.notification_id == CUTOVER
        found = session.execute(select(self.table.c.hash).where(row)).scalar()
        if found is None:
            return None, False
        record = bytes(found)
        upto = int.from_bytes(record[:8], "big")
        if len(record) != 40 or not hmac.compare_digest(record[8:], self._cutover_mac(upto)):
            return None, True
        return upto, True

    def head(self, session: Session) -> tuple[int, bytes]:
        last = session.execute(
            select(func.max(self.table.c.notification_id)).where(
                self.table.c.notification_id > CUTOVER
            )
        ).scalar()
        if last is None:
            return 0, GENESIS
        digest = session.execute(
            select(self.table.c.hash).where(self.table.c.notification_id == last)
        ).scalar()
        return int(last), bytes(digest or GENESIS)

    def current_head(self) -> tuple[int, bytes]:
        with Session(self.engine) as session:
            return self.head(session)

    def extend_once(self) -> int:
        with Session(self.engine) as session, session.begin():
            if not self._cutover_recorded:
                self.record_cutover(session)
            last, previous = self.head(session)
            notifications = self.app.notifications(last, self.batch_size)
            cases = {aggregate: case for case, aggregate in self.index.cases_in(notifications)}
            rows = []
            for n in notifications:
                case_id = cases.get(n.originator_id) if n.originator_version == 1 else None
                previous = self.link(
                    previous,
                    n.id,
                    str(n.originator_id),
                    n.originator_version,
                    n.topic,
                    str(case_id) if case_id is not None else None,
                    covered(bytes(n.state)),
                )
                rows.append({"notification_id": n.id, "hash": previous, "case_id": case_id})
            if rows:
                session.execute(self.table.insert(), rows)
                self.index.add_rows(session, cases.items())
                head = self.app.recorder.max_notification_id() or 0
                metrics.STORE_LAG.labels(self.app.name.lower(), "chain").set(
                    max(0, head - notifications[-1].id)
                )
        self._cutover_recorded = True
        return len(rows)

    def extend(self) -> None:
        while self.extend_once():
            pass

    async def run(self, stop: asyncio.Event) -> None:
        # A failure is a conflict with another replica or the store away: try again.
        await Follower("chain", in_thread(self.extend_once), self.wakeup, gather=0.2).run(stop)

    def stored_time(self, notification_id: int) -> datetime | None:
        """When the stored event at `notification_id` happened (as it says, under its MAC),
        or None when it cannot be read here (encrypted, and no cipher key)."""
        found = self.app.notifications(notification_id - 1, 1)
        if not found or found[0].id != notification_id:
            return None
        try:
            when = getattr(self.app.mapper.to_domain_event(found[0]), "timestamp", None)
        except Exception:  # the verifier without the cipher key, or an event already reported
            return None
        return when if isinstance(when, datetime) else None

    def chained(self, session: Session) -> Iterator[ChainRow]:
        """The chain's rows in order, case ids as text."""
        found = _server_side(
            session,
            SQL(
                "SELECT notification_id, hash, case_id::text FROM {} WHERE notification_id > 0 "
                "ORDER BY notification_id"
            ),
            self.table.name,
        )
        if found is not None:
            yield from found
            return
        query = select(self.table.c.notification_id, self.table.c.hash, self.table.c.case_id).where(
            self.table.c.notification_id > CUTOVER
        )
        for nid, digest, case_id in session.execute(query.order_by(self.table.c.notification_id)):
            yield nid, bytes(digest), str(case_id) if case_id is not None else None

    def indexed(self, session: Session) -> set[tuple[str, str]]:
        """Every (case id, aggregate id) of the case index, as text."""
        found = _server_side(
            session, SQL("SELECT case_id::text, originator_id::text FROM {}"), self.index.table.name
        )
        return set(found) if found is not None else self.index.rows(session)

    def verify(self, anchors: Sequence[Anchored] = ()) -> Verdict:
        """Walk the stored events and the chain together, in notification order, checking
        every link, the case index and each anchor."""
        with Session(self.engine) as session, _no_cyclic_gc():
            head, _ = self.head(session)
            legacy_upto, recorded = self.cutover(session)
            indexed = self.indexed(session)
            walk = _Walk(self.link, anchors, Sealer(self.keys.seal), legacy_upto or 0)
            walk.run(self.app.stored_rows(head), self.chained(session))
        stored_head = self.app.recorder.max_notification_id() or 0
        walk.finish(indexed, head, stored_head)
        if legacy_upto is None and not recorded and not walk.sealed:
            # A store the previous release wrote, whose chainer has not run this release yet
            # (verify upgraded first): its unsealed events are all legacy ones.
            walk.breaks = [b for b in walk.breaks if b.kind != "unsealed"]
        elif legacy_upto is None and head:
            walk.breaks.append(
                Break(
                    0,
                    "unsealed",
                    f"the chain's cut-over record (the last event the previous release stored "
                    f"without a MAC) is {'altered' if recorded else 'missing'}: every "
                    "unsealed event is reported",
                )
            )
        latest = max((a.head for a in anchors), default=0)
        return Verdict(
            chained=walk.chained,
            head=head,
            stored_head=stored_head,
            breaks=walk.breaks,
            anchors=len(anchors),
            anchored_head=latest,
        )


def covered(state: bytes) -> bytes:
    """What of a stored event's state its link covers: a sealed event's magic and MAC (which
    covers the rest, under the seal key, and is checked with the link), a previous-release
    event's whole state. The rest is not hashed twice."""
    return state[:BODY] if state.startswith(MAGIC) else state


# notification id, link, case id (text) of an aggregate's first event
ChainRow = tuple[int, bytes, str | None]


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The walk makes millions of short-lived tuples while large sets stay alive: Python's
    cyclic collector would scan those sets again and again for cycles there are none of.
    Reference counting still frees everything."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _server_side(session: Session, statement: SQL, table: str) -> Iterator[Any] | None:
    """`statement`'s rows through one server-side cursor, in binary, on PostgreSQL (a tamper
    check reads every row: SQLAlchemy's rows and a hex bytea would cost more than the
    hashing); None elsewhere."""
    connection = session.connection().connection.driver_connection
    if not isinstance(connection, psycopg.Connection):
        return None

    def rows() -> Iterator[Any]:
        with connection.cursor(name=f"maag_{table}", row_factory=tuple_row) as curs:
            curs.itersize = 20_000
            curs.execute(statement.format(Identifier(table)), binary=True)
            yield from curs

    return rows()


def chain_table(service: str) -> Table:
    return Table(
        f"{service.lower()}_chain",
        MetaData(),
        Column("notification_id", BigInteger, primary_key=True, autoincrement=False),
        Column("hash", LargeBinary, nullable=False),
        # the case of the aggregate whose first event this is (what the case index says)
        Column("case_id", Uuid, nullable=True),
    )


def _forged(topic: str, originator_id: str, version: int) -> str:
    return (
        f"{topic} {originator_id} v{version}: its MAC does not match where it is stored "
        "(inserted, moved to another aggregate or altered without the service's key)"
    )


def _unsealed(topic: str, originator_id: str, version: int) -> str:
    return (
        f"{topic} {originator_id} v{version} carries no MAC, yet was stored after the "
        "cut-over from the previous release (inserted without the service's key)"
    )


def _legacy_upto(app: ServiceApplication) -> int:
    """The last event stored without a MAC before the first one with (0 if none)."""
    recorder = app.recorder
    if isinstance(recorder, PostgresAggregateRecorder):
        table = SQL("{}.{}").format(
            Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
        )
        query = SQL(
            "SELECT max(notification_id) FROM {t} WHERE substring(state from 1 for {n}) <> %s "
            "AND notification_id < coalesce((SELECT min(notification_id) FROM {t} "
            "WHERE substring(state from 1 for {n}) = %s), 9223372036854775807)"
        ).format(t=table, n=len(MAGIC))
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, (MAGIC, MAGIC))
            row = curs.fetchone()
        found = next(iter(row.values())) if isinstance(row, dict) else (row or [None])[0]
        return int(found or 0)
    upto = 0
    for nid, _, _, _, state in app.stored_rows(app.recorder.max_notification_id() or 0):
        if state.startswith(MAGIC):
            break
        upto = nid
    return upto


class _Walk:
    """One pass over the stored events and the chain rows, both in notification order."""

    def __init__(
        self, link: Linker, anchors: Sequence[Anchored], seal: Sealer, legacy_upto: int
    ) -> None:
        self.link = link
        self.seal = seal
        self.legacy_upto = legacy_upto
        self.anchors: dict[int, list[Anchored]] = {}
        for a in anchors:
            self.anchors.setdefault(a.head, []).append(a)
        self.breaks: list[Break] = []
        self.chained = 0
        self.sealed = 0  # chained events that carry a MAC
        # (case id, aggregate id) -> the notification whose link covers it
        self.expected_index: dict[tuple[str, str], int] = {}
        self.deleted_cases: set[str] = set()

    def run(self, stored: Iterable[StoredRow], chained: Iterable[ChainRow]) -> None:
        # The hot loop of a tamper check (millions of events): locals, and the two HMACs
        # (`Linker`, `Sealer`) inlined from their pads, no calls but hashlib's.
        anchored, breaks = self.anchors, self.breaks
        link_inner, link_outer = self.link._inner, self.link._outer
        seal_inner, seal_outer = self.seal.inner, self.seal.outer
        legacy_upto, magic, body = self.legacy_upto, MAGIC, BODY
        previous = GENESIS
        none: Any = (1 << 63, b"", None)  # past the end of either stream
        stored_it, chained_it = iter(stored), iter(chained)
        s: Any = next(stored_it, none)
        c: Any = next(chained_it, none)
        count = sealed_count = 0
        while s is not none or c is not none:
            nid = s[0]
            if c[0] < nid:  # chained, no longer stored
                nid, expected, case_id = c
                count += 1
                breaks.append(Break(nid, "deleted", "chained, no longer stored"))
                if case_id is not None:  # its index row can no longer be checked
                    self.deleted_cases.add(case_id)
            elif c[0] > nid:
                _, originator_id, version, topic, _ = s
                breaks.append(
                    Break(
                        nid,
                        "inserted",
                        f"stored inside the chained history, never chained: {topic} "
                        f"{originator_id} v{version}",
                    )
                )
                s = next(stored_it, none)
                continue
            else:
                _, originator_id, version, topic, state = s
                _, expected, case_id = c
                count += 1
                oid, tb = originator_id.encode(), topic.encode()
                sealed = state[:8] == magic
                h = link_inner.copy()
                h.update(
                    b"%b%d\x1f%b\x1f%d\x1f%b\x1f%b\x1f%b"
                    % (
                        previous,
                        nid,
                        oid,
                        version,
                        tb,
                        case_id.encode() if case_id is not None else b"",
                        state[:body] if sealed else state,  # `covered`
                    )
                )
                o = link_outer.copy()
                o.update(h.digest())
                if o.digest() != expected:
                    breaks.append(
                        Break(
                            nid,
                            "altered",
                            f"{topic} {originator_id} v{version} differs from what was chained",
                        )
                    )
                if sealed:  # by the service at commit: is it still where it was sealed?
                    sealed_count += 1
                    h = seal_inner.copy()
                    h.update(b"%b\x1f%d\x1f%b\x1f%b" % (oid, version, tb, state[body:]))
                    o = seal_outer.copy()
                    o.update(h.digest())
                    if o.digest() != state[8:body]:
                        breaks.append(Break(nid, "forged", _forged(topic, originator_id, version)))
                elif nid > legacy_upto:
                    breaks.append(Break(nid, "unsealed", _unsealed(topic, originator_id, version)))
                if case_id is not None:
                    self.expected_index[(case_id, originator_id)] = nid
                s = next(stored_it, none)
            if nid in anchored:
                self._anchor(nid, expected)
            previous = expected
            c = next(chained_it, none)
        self.chained, self.sealed = count, sealed_count

    def _anchor(self, nid: int, chained_hash: bytes) -> None:
        for a in self.anchors.pop(nid, ()):
            if a.hash != chained_hash:
                self.breaks.append(
                    Break(
                        nid,
                        "rechained",
                        f"the chain here differs from the head anchored {a.label}: the "
                        "history up to it was rewritten and chained again",
                    )
                )

    def finish(self, indexed: set[tuple[str, str]], head: int, stored_head: int) -> None:
        expected = self.expected_index
        for pair in sorted(expected.keys() - indexed, key=expected.__getitem__):
            self.breaks.append(
                Break(
                    expected[pair],
                    "unindexed",
                    f"aggregate {pair[1]} of case {pair[0]} is missing from the case index",
                )
            )
        for case_id, aggregate in sorted(indexed - expected.keys()):
            if case_id in self.deleted_cases:
                continue  # the row of an event reported deleted
            self.breaks.append(
                Break(
                    0,
                    "misindexed",
                    f"the case index puts aggregate {aggregate} in case {case_id}; the chain "
                    "does not",
                )
            )
        # Anchors past the chain: the history they covered is gone (or its chain rows are).
        for nid in sorted(self.anchors):
            for a in self.anchors[nid]:
                self.breaks.append(
                    Break(
                        nid,
                        "truncated",
                        f"anchored {a.label}, but the chain ends at notification {head} "
                        f"(newest stored {stored_head}): the events after it are gone",
                    )
                )
        self.breaks.sort(key=lambda b: (b.notification_id == 0, b.notification_id))
