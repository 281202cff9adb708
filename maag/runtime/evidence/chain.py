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
import bisect
import contextlib
import gc
import hashlib
import hmac
import itertools
import multiprocessing
import multiprocessing.connection
import operator
import os
import threading
import traceback
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier
from psycopg.types.string import ByteaBinaryLoader
from sqlalchemy import (
    BigInteger,
    Column,
    LargeBinary,
    MetaData,
    Table,
    Uuid,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from maag.runtime.evidence.case_index import CaseIndex
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.follower import Follower, Wakeup, in_thread
from maag.runtime.follow.portable_sql import in_one_statement
from maag.runtime.follow.projection import create_tables
from maag.runtime.logging import get_logger
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.sealed import BODY, MAGIC, Sealer, where
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
        return self.placed(
            previous,
            notification_id,
            where(originator_id, version, topic),
            case_id.encode() if case_id is not None else b"",
            state,
        )

    def placed(
        self, previous: bytes, notification_id: int, place: bytes, case_id: bytes, state: bytes
    ) -> bytes:
        """The same, given the event's `place` (`sealed.where`) and case id as bytes: the
        message is previous, id, place, case, state, separated by SEP (the walk inlines it)."""
        inner = self._inner.copy()
        inner.update(b"%b%d\x1f%b%b\x1f%b" % (previous, notification_id, place, case_id, state))
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
    cutover: int = 0  # the last notification the previous release stored (never anchored)

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
        # The last link, in one round trip, its statement built once: the chainer reads it
        # before every stretch it chains.
        c = self.table.c
        self._head = (
            select(c.notification_id, c.hash)
            .where(c.notification_id > CUTOVER)
            .order_by(c.notification_id.desc())
            .limit(1)
        )

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
        found = session.execute(self._head).first()
        if found is None:
            return 0, GENESIS
        last, digest = found
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
                session.execute(in_one_statement(self.table.insert()), rows)
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
        await Follower(
            "chain", in_thread(self.extend_once), self.wakeup, gather=0.2, batch=self.batch_size
        ).run(stop)

    def stored_time(self, notification_id: int) -> datetime | None:
        """When the stored event at `notification_id` happened (as it says, under its MAC),
        or None when it cannot be read here (encrypted, and no cipher key)."""
        found = self.first_stored(notification_id - 1, notification_id)
        return found[1] if found is not None else None

    def first_stored(self, after: int, upto: int) -> tuple[int, datetime | None] | None:
        """The first stored event after notification `after`, up to `upto`: its notification
        and when it happened (None when it cannot be read here), or None if there is none."""
        found = self.app.notifications(after, 1)
        if not found or found[0].id > upto:
            return None
        try:
            when = getattr(self.app.mapper.to_domain_event(found[0]), "timestamp", None)
        except Exception:  # the verifier without the cipher key, or an event already reported
            when = None
        return found[0].id, when if isinstance(when, datetime) else None

    def verify(self, anchors: Sequence[Anchored] = (), workers: int | None = None) -> Verdict:
        """Walk the stored events and the chain together, in notification order, checking
        every link, every event's own MAC, the case index and each anchor.

        On PostgreSQL the history is cut into `workers` ranges of notifications (by default
        one per CPU, for a history of `PARALLEL_FROM` events or more, when called from the
        main thread) walked at once by forked processes, each with its own connection: every
        link can be checked from the chain row before it, so a range needs nothing of the
        others. The checks are the same as one walk's; only the time is shared."""
        with Session(self.engine) as session, _no_cyclic_gc():
            head, _ = self.head(session)
            legacy_upto, recorded = self.cutover(session)
            anchored: dict[int, list[Anchored]] = {}
            for a in anchors:
                anchored.setdefault(a.head, []).append(a)
            walk = _Walk(self.link, Sealer(self.keys.seal), legacy_upto or 0, anchored)
            # What the walk found, summed up while the collector is off: the parts and the
            # index (millions of objects) are gone before it runs again, not walked by it.
            stored_head, breaks, chained, sealed = self._walked(session, walk, head, workers)
        if legacy_upto is None and not recorded and not sealed:
            # A store the previous release wrote, whose chainer has not run this release yet
            # (verify upgraded first): its unsealed events are all legacy ones.
            breaks = [b for b in breaks if b.kind != "unsealed"]
        elif legacy_upto is None and head:
            breaks.append(
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
            chained=chained,
            head=head,
            stored_head=stored_head,
            breaks=breaks,
            anchors=len(anchors),
            anchored_head=latest,
            cutover=legacy_upto or 0,
        )

    def _walked(
        self, session: Session, walk: _Walk, head: int, workers: int | None
    ) -> tuple[int, list[Break], int, int]:
        """The newest stored notification, and the walk's breaks, chained and sealed events."""
        source = Source.of(self)
        if source is None:  # not PostgreSQL: one walk, through the libraries
            parts = [walk.run(self._stored(head), self._chained(session), GENESIS)]
            indexed = {b"%b\x1f%b" % (c.encode(), a.encode()) for c, a in self.index.rows(session)}
        else:
            parts, indexed = source.walk(walk, session, head, _workers(head, workers))
        stored_head = self.app.recorder.max_notification_id() or 0
        breaks = _finish(parts, indexed, walk.anchored, head, stored_head)
        return (
            stored_head,
            breaks,
            sum(p.chained for p in parts),
            sum(p.sealed for p in parts),
        )

    def _stored(self, head: int) -> Iterator[EventRow]:
        for nid, originator_id, version, topic, state in self.app.stored_rows(head):
            yield nid, where(originator_id, version, topic), bytes(state)

    def _chained(self, session: Session) -> Iterator[ChainRow]:
        query = select(self.table.c.notification_id, self.table.c.hash, self.table.c.case_id).where(
            self.table.c.notification_id > CUTOVER
        )
        for nid, digest, case_id in session.execute(query.order_by(self.table.c.notification_id)):
            yield nid, bytes(digest), str(case_id).encode() if case_id is not None else b""


def covered(state: bytes) -> bytes:
    """What of a stored event's state its link covers: a sealed event's magic and MAC (which
    covers the rest, under the seal key, and is checked with the link), a previous-release
    event's whole state. The rest is not hashed twice."""
    return state[:BODY] if state.startswith(MAGIC) else state


# A stored event as the walk reads it: notification id, where it belongs (`sealed.where`:
# originator id, version and topic, each followed by SEP) and its state as stored.
EventRow = tuple[int, bytes, bytes]
# notification id, link, and the case id (as text, encoded) of an aggregate's first event,
# b"" for any other event
ChainRow = tuple[int, bytes, bytes]


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


PARALLEL_FROM = 100_000  # chained events: below that one walk (forking costs more than it saves)
MAX_WORKERS = 8
PAGE = 20_000  # rows a query reads


def _workers(head: int, asked: int | None) -> int:
    """How many ranges to walk at once."""
    if asked is not None:
        return max(1, asked)
    if head < PARALLEL_FROM or threading.current_thread() is not threading.main_thread():
        # A service's /audit/store runs the walk in a worker thread beside its others: a
        # process forked there could be left waiting on a lock another thread held. One walk.
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return max(1, min(len(cpus) if cpus else os.cpu_count() or 1, MAX_WORKERS))


def _ranges(head: int, workers: int) -> list[tuple[int, int]]:
    """(after, upto] ranges of notification ids cutting (0, head] into `workers`."""
    cuts = [head * i // workers for i in range(workers + 1)]
    return [(lo, hi) for lo, hi in itertools.pairwise(cuts) if hi > lo] or [(0, head)]


@dataclass
class _Part:
    """What the walk over one range of notifications found."""

    breaks: list[Break] = field(default_factory=list)
    chained: int = 0
    sealed: int = 0  # chained events that carry a MAC
    # the case-index keys (case id SEP aggregate id) the chain covers, in the order met, and
    # the notification whose link covers each (lists: cheaper to fill and send than a dict)
    keys: list[bytes] = field(default_factory=list)
    keyed: list[int] = field(default_factory=list)
    # the cases of deleted first events: their index rows go unchecked
    deleted_cases: set[bytes] = field(default_factory=set)
    # anchored heads in the range (each held to its hash)
    anchors_met: set[int] = field(default_factory=set)


class _Walk:
    """One pass over a range of the stored events and the chain rows, both in notification
    order: every link, every event's own MAC, the anchors in the range."""

    def __init__(
        self,
        link: Linker,
        seal: Sealer,
        legacy_upto: int,
        anchored: dict[int, list[Anchored]],
    ) -> None:
        self.link = link
        self.seal = seal
        self.legacy_upto = legacy_upto
        self.anchored = anchored
        self.heads = sorted(anchored)

    def run(
        self, stored: Iterable[EventRow], chained: Iterable[ChainRow], previous: bytes
    ) -> _Part:
        """`previous`: the link of the chain row before the range (GENESIS at the start)."""
        part = _Part()
        self._merged(part, stored, chained, previous)
        return part

    def run_windows(
        self, windows: Iterable[tuple[list[EventRow], list[ChainRow]]], previous: bytes
    ) -> _Part:
        """The same, given the range as windows: the stored events and the chain rows of one
        span of notification ids each (so that an event and its chain row, if both are
        there, are in the same window)."""
        part = _Part()
        for stored, chained in windows:
            previous = self._aligned(part, stored, chained, previous)
        return part

    def _aligned(
        self, part: _Part, stored: list[EventRow], chained: list[ChainRow], previous: bytes
    ) -> bytes:
        """One window's checks, walked pairwise (the usual case: every stored event has its
        chain row, and no other row is there); the last link. A window where the two differ
        is walked again by `_merged` from its start, what was found in it undone first."""
        if len(stored) != len(chained):
            return self._merged(part, stored, chained, previous)
        # The hot loop of a tamper check (millions of events): locals, and the two HMACs
        # (`Linker`, `Sealer`) inlined from their pads, no calls but hashlib's. The link's
        # message is the `Linker`'s: previous, id, then `place` (originator id, version,
        # topic, each followed by SEP, as read), the case and what the link covers.
        legacy_upto = self.legacy_upto
        link_inner, link_outer = self.link._inner.copy, self.link._outer.copy
        seal_inner, seal_outer = self.seal.inner.copy, self.seal.outer.copy
        magic, body, sep = MAGIC, BODY, SEP
        breaks, key, keyed = part.breaks, part.keys.append, part.keyed.append
        marks, start, unsealed = (len(breaks), len(part.keys)), previous, 0
        for (nid, place, state), (chained_nid, expected, case_id) in zip(
            stored, chained, strict=True
        ):
            if nid != chained_nid:
                break
            h = link_inner()
            if state[:8] == magic:  # sealed by the service at commit
                h.update(b"%b%d\x1f%b%b\x1f%b" % (previous, nid, place, case_id, state[:body]))
                o = link_outer()
                o.update(h.digest())
                if o.digest() != expected:
                    breaks.append(Break(nid, "altered", _altered(place)))
                # is it still where it was sealed?
                h = seal_inner()
                h.update(place)
                h.update(state[body:])
                o = seal_outer()
                o.update(h.digest())
                if o.digest() != state[8:body]:
                    breaks.append(Break(nid, "forged", _forged(*_place(place))))
            else:
                unsealed += 1
                h.update(b"%b%d\x1f%b%b\x1f%b" % (previous, nid, place, case_id, state))
                o = link_outer()
                o.update(h.digest())
                if o.digest() != expected:
                    breaks.append(Break(nid, "altered", _altered(place)))
                if nid > legacy_upto:
                    breaks.append(Break(nid, "unsealed", _unsealed(*_place(place))))
            if case_id:
                key(case_id + sep + place[: place.index(sep)])
                keyed(nid)
            previous = expected
        else:
            if chained:
                self._anchors(part, chained)
            part.chained += len(chained)
            part.sealed += len(chained) - unsealed
            return previous
        # An id in one list and not the other (an event deleted, inserted): undone, and the
        # window merged instead.
        del breaks[marks[0] :], part.keys[marks[1] :], part.keyed[marks[1] :]
        return self._merged(part, stored, chained, start)

    def _anchors(self, part: _Part, chained: list[ChainRow]) -> None:
        """The anchored heads among a window's chain rows, each held to its hash (the rows
        in order, as `_merged` holds them: a window's breaks are sorted by id after)."""
        heads = self.heads
        first = bisect.bisect_left(heads, chained[0][0])
        for head in heads[first : bisect.bisect_right(heads, chained[-1][0])]:
            at = bisect.bisect_left(chained, head, key=_first)
            if at < len(chained) and chained[at][0] == head:
                self._held(part, head, chained[at][1])

    def _held(self, part: _Part, nid: int, expected: bytes) -> None:
        part.anchors_met.add(nid)
        for a in self.anchored[nid]:
            if a.hash != expected:
                part.breaks.append(
                    Break(
                        nid,
                        "rechained",
                        f"the chain here differs from the head anchored {a.label}: the "
                        "history up to it was rewritten and chained again",
                    )
                )

    def _merged(
        self,
        part: _Part,
        stored: Iterable[EventRow],
        chained: Iterable[ChainRow],
        previous: bytes,
    ) -> bytes:
        """The checks of streams in which an event or a chain row may be missing, merged by
        notification id; the last link."""
        anchored, legacy_upto = self.anchored, self.legacy_upto
        link_inner, link_outer = self.link._inner.copy, self.link._outer.copy
        seal_inner, seal_outer = self.seal.inner.copy, self.seal.outer.copy
        magic, body, sep = MAGIC, BODY, SEP
        breaks, deleted_cases = part.breaks, part.deleted_cases
        key, keyed = part.keys.append, part.keyed.append
        none: Any = (1 << 63, b"", b"")  # past the end of either stream
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
                if case_id:  # its index row can no longer be checked
                    deleted_cases.add(case_id)
            elif c[0] > nid:
                breaks.append(
                    Break(
                        nid,
                        "inserted",
                        f"stored inside the chained history, never chained: {_named(s[1])}",
                    )
                )
                s = next(stored_it, none)
                continue
            else:
                _, place, state = s
                _, expected, case_id = c
                count += 1
                h = link_inner()
                if state[:8] == magic:  # sealed by the service at commit
                    sealed_count += 1
                    h.update(b"%b%d\x1f%b%b\x1f%b" % (previous, nid, place, case_id, state[:body]))
                    o = link_outer()
                    o.update(h.digest())
                    if o.digest() != expected:
                        breaks.append(Break(nid, "altered", _altered(place)))
                    # is it still where it was sealed?
                    h = seal_inner()
                    h.update(place)
                    h.update(state[body:])
                    o = seal_outer()
                    o.update(h.digest())
                    if o.digest() != state[8:body]:
                        breaks.append(Break(nid, "forged", _forged(*_place(place))))
                else:
                    h.update(b"%b%d\x1f%b%b\x1f%b" % (previous, nid, place, case_id, state))
                    o = link_outer()
                    o.update(h.digest())
                    if o.digest() != expected:
                        breaks.append(Break(nid, "altered", _altered(place)))
                    if nid > legacy_upto:
                        breaks.append(Break(nid, "unsealed", _unsealed(*_place(place))))
                if case_id:
                    key(case_id + sep + place[: place.index(sep)])
                    keyed(nid)
                s = next(stored_it, none)
            if nid in anchored:
                self._held(part, nid, expected)
            previous = expected
            c = next(chained_it, none)
        part.chained += count
        part.sealed += sealed_count
        return previous


_first = operator.itemgetter(0)  # a row's first value: a notification id, an index key


def _place(place: bytes) -> tuple[str, str, int]:
    """(topic, originator id, version) of a stored event's `place`."""
    originator_id, version, topic = place[:-1].decode(errors="replace").split("\x1f", 2)
    return topic, originator_id, int(version)


def _named(place: bytes) -> str:
    topic, originator_id, version = _place(place)
    return f"{topic} {originator_id} v{version}"


def _altered(place: bytes) -> str:
    return f"{_named(place)} differs from what was chained"


def _pair(key: bytes) -> tuple[str, str]:
    case_id, _, aggregate = key.decode(errors="replace").partition("\x1f")
    return case_id, aggregate


def _finish(
    parts: list[_Part],
    indexed: set[bytes],
    anchored: dict[int, list[Anchored]],
    head: int,
    stored_head: int,
) -> list[Break]:
    """The parts' breaks, with the case index's and the anchors past the chain's, in order."""
    breaks = [b for p in parts for b in p.breaks]
    met: set[int] = set()
    for p in parts:
        met |= p.anchors_met
    # The index as the chain has it (the usual case) is told in one pass, without a set of
    # the keys: no row left once the keys are taken out, and as many rows as keys (so no
    # key was missing, nor met twice). Else each row and key is looked at.
    if len(indexed) != sum(len(p.keys) for p in parts) or indexed.difference(
        *(p.keys for p in parts)
    ):
        breaks += _index_breaks(parts, indexed)
    # Anchors past the chain: the history they covered is gone (or its chain rows are).
    for nid in sorted(anchored.keys() - met):
        for a in anchored[nid]:
            breaks.append(
                Break(
                    nid,
                    "truncated",
                    f"anchored {a.label}, but the chain ends at notification {head} "
                    f"(newest stored {stored_head}): the events after it are gone",
                )
            )
    breaks.sort(key=lambda b: (b.notification_id == 0, b.notification_id))
    return breaks


def _index_breaks(parts: list[_Part], indexed: set[bytes]) -> list[Break]:
    """The case index's rows missing or added, against the keys the chain covers (each
    named by the last notification covering it)."""
    breaks: list[Break] = []
    expected: dict[bytes, int] = {}
    deleted: set[bytes] = set()
    for p in parts:
        expected.update(zip(p.keys, p.keyed, strict=True))
        deleted |= p.deleted_cases
    for key in sorted(expected.keys() - indexed, key=expected.__getitem__):
        case_id, aggregate = _pair(key)
        breaks.append(
            Break(
                expected[key],
                "unindexed",
                f"aggregate {aggregate} of case {case_id} is missing from the case index",
            )
        )
    for key in sorted(indexed - expected.keys()):
        if key.partition(SEP)[0] in deleted:
            continue  # the row of an event reported deleted
        case_id, aggregate = _pair(key)
        breaks.append(
            Break(
                0,
                "misindexed",
                f"the case index puts aggregate {aggregate} in case {case_id}; the chain does not",
            )
        )
    return breaks


class Source:
    """A PostgreSQL store's events, chain and case index, read in binary by plain queries
    a window of ids at a time (a tamper check reads every row: ORM rows, eventsourcing's
    notifications or a hex bytea would cost more than the hashing), a range of
    notifications per connection."""

    def __init__(self, engine: Engine, events: Composed, chain: str, index: str) -> None:
        self.engine = engine
        # An event's place (originator id, version and topic, framed as `sealed.where`)
        # comes as one value, as the MAC and the link hash it: one object a row, not three
        # to encode and frame again. It is what the columns hold, checked as before. Text
        # comes as its bytes (`_reading`): UTF-8 where the connection's encodings are, else
        # converted to it by the server (a topic may not be ASCII; ids are).
        place = (
            "originator_id::text || chr(31) || originator_version::text || chr(31) || "
            "coalesce(topic, '') || chr(31)"
        )
        self.events = _Paged(
            f"notification_id, {place}, coalesce(state, ''::bytea)",
            events,
            f"notification_id, convert_to({place}, 'UTF8'), coalesce(state, ''::bytea)",
        )
        self.chain = _Paged("notification_id, hash, coalesce(case_id::text, '')", Identifier(chain))
        self.previous = SQL(
            "SELECT hash FROM {t} WHERE notification_id = (SELECT max(notification_id) FROM {t} "
            "WHERE notification_id > 0 AND notification_id <= %s)"
        ).format(t=Identifier(chain))
        self.index = SQL("SELECT case_id::text || chr(31) || originator_id::text FROM {}").format(
            Identifier(index)
        )

    @classmethod
    def of(cls, chain: EventChain) -> Source | None:
        """The store's source, when its events and chain are in one PostgreSQL database."""
        recorder, url = chain.app.recorder, chain.engine.url
        if not isinstance(recorder, PostgresAggregateRecorder) or url.get_backend_name() != (
            "postgresql"
        ):
            return None
        where_events = getattr(recorder.datastore.pool, "kwargs", {})
        if (
            where_events.get("dbname"),
            str(where_events.get("port")),
            where_events.get("host"),
        ) != (
            url.database,
            str(url.port or 5432),
            url.host,
        ):
            return None
        events = SQL("{}.{}").format(
            Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
        )
        return cls(chain.engine, events, chain.table.name, chain.index.table.name)

    def run(self, connection: psycopg.Connection[Any], walk: _Walk, lo: int, hi: int) -> _Part:
        """Walk notifications (lo, hi]."""
        with connection.cursor(row_factory=tuple_row, binary=True) as curs:
            found = curs.execute(self.previous, (lo,)).fetchone()
        previous = bytes(found[0]) if found else GENESIS
        return walk.run_windows(self.windows(connection, lo, hi), previous)

    def windows(
        self, connection: psycopg.Connection[Any], lo: int, hi: int
    ) -> Iterator[tuple[list[EventRow], list[ChainRow]]]:
        """The stored events and the chain rows in (lo, hi], a window of PAGE notification
        ids at a time (both of the same ids), the next window read by a thread while this
        one is walked (as `pages`)."""
        with ThreadPoolExecutor(1, thread_name_prefix="maag-verify-read") as reader:
            ahead = reader.submit(_windows, connection, self, lo, hi)
            while True:
                stored, chained, lo = ahead.result()
                if lo < hi:
                    ahead = reader.submit(_windows, connection, self, lo, hi)
                yield stored, chained
                if lo >= hi:
                    return

    @staticmethod
    def pages(
        connection: psycopg.Connection[Any], table: _Paged, lo: int, hi: int
    ) -> Iterator[Any]:
        """`table`'s rows in (lo, hi], in order, a window of PAGE notification ids at a time,
        the next window read by a thread while this one is walked (the server's part and the
        wire's then cost no time of the walk's: psycopg lets the GIL go while it waits)."""
        with ThreadPoolExecutor(1, thread_name_prefix="maag-verify-read") as reader:
            ahead = reader.submit(_window, connection, table, lo, hi)
            while True:
                rows, lo = ahead.result()
                if lo < hi:
                    ahead = reader.submit(_window, connection, table, lo, hi)
                yield from rows
                if lo >= hi:
                    return

    def indexed(self, connection: psycopg.Connection[Any]) -> set[bytes]:
        """Every (case id SEP aggregate id) of the case index (through a server-side cursor,
        a page per fetch: iterating it row by row costs more than the rows)."""
        found: set[bytes] = set()
        with _reading(connection, "maag_case_index") as curs:
            curs.execute(self.index, binary=True)
            while rows := curs.fetchmany(PAGE):
                found.update(map(_first, rows))
        return found

    def walk(
        self, walk: _Walk, session: Session, head: int, workers: int
    ) -> tuple[list[_Part], set[bytes]]:
        """Every part's findings, and the case index; the parts walked by forked processes
        when there are several (a part whose process fails, e.g. finding no free
        connection, is walked here instead)."""
        connection = session.connection().connection.driver_connection
        assert isinstance(connection, psycopg.Connection)
        ranges = _ranges(head, workers)
        if len(ranges) == 1:
            return [self.run(connection, walk, 0, head)], self.indexed(connection)
        fork = multiprocessing.get_context("fork")
        running = []
        try:
            for lo, hi in ranges:
                receive, send = fork.Pipe(duplex=False)
                process = fork.Process(
                    target=_walk_apart, args=(send, self, walk, lo, hi), daemon=True
                )
                process.start()
                send.close()
                running.append((process, receive, lo, hi))
            indexed = self.indexed(connection)  # meanwhile
            # each part taken as its process sends it (the others still walking), kept in
            # the ranges' order
            parts: dict[int, _Part] = {}
            waiting: dict[Any, int] = {receive: i for i, (_, receive, _, _) in enumerate(running)}
            while waiting:
                for ready in multiprocessing.connection.wait(list(waiting)):
                    i = waiting.pop(ready)
                    process, receive, lo, hi = running[i]
                    try:
                        kind, found = receive.recv()
                    except EOFError:
                        process.join()
                        kind, found = "error", f"its process ended with {process.exitcode}"
                    if kind != "part":
                        log.warning("verify walking a range itself", range=(lo, hi), error=found)
                        found = self.run(connection, walk, lo, hi)
                    parts[i] = found
            return [parts[i] for i in range(len(running))], indexed
        finally:
            for process, receive, _, _ in running:
                receive.close()
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
                    process.join()


class _Paged:
    """A table's rows read a window of notification ids at a time (`Source.pages`)."""

    def __init__(self, columns: str, table: Composable, converted: str | None = None) -> None:
        """`converted`: the columns where the connection's text is not UTF-8 (`_utf8`)."""
        self.utf8, self.converted = (
            SQL(
                "SELECT {} FROM {} WHERE notification_id > %s AND notification_id <= %s "
                "ORDER BY notification_id"
            ).format(SQL(chosen), table)
            for chosen in (columns, converted or columns)
        )
        self.following = SQL(
            "SELECT min(notification_id) FROM {} WHERE notification_id > %s "
            "AND notification_id <= %s"
        ).format(table)

    def rows(self, connection: psycopg.Connection[Any]) -> Composed:
        return self.utf8 if _utf8(connection) else self.converted


def _utf8(connection: psycopg.Connection[Any]) -> bool:
    """Whether text comes from the server as UTF-8 (the server's encoding and the client's):
    as `convert_to(..., 'UTF8')` would give it, without the server converting every value."""
    info = connection.info
    return info.encoding == "utf-8" and info.parameter_status("server_encoding") == "UTF8"


def _reading(connection: psycopg.Connection[Any], name: str | None = None) -> Any:
    """A cursor reading rows as tuples, in binary, text as its bytes (as sent: `_utf8`):
    the walk hashes bytes, and decoding then encoding again costs a walk's time."""
    curs = (
        connection.cursor(row_factory=tuple_row, binary=True)
        if name is None
        else connection.cursor(name=name, row_factory=tuple_row)
    )
    curs.adapters.register_loader("text", ByteaBinaryLoader)
    return curs


def _window(
    connection: psycopg.Connection[Any], table: _Paged, lo: int, hi: int
) -> tuple[list[Any], int]:
    """`table`'s rows in the next window of PAGE ids after `lo` (up to `hi`), and where the
    window ends. Each query is bounded by its ids, so that however the planner reads it (a
    table never analysed, say) it reads no more than the window; an empty window skips to
    the next row there is (a gap in the ids costs a query, not one per window)."""
    with _reading(connection) as curs:
        while lo < hi:
            upto = min(hi, lo + PAGE)
            rows = curs.execute(table.rows(connection), (lo, upto)).fetchall()
            if rows or upto >= hi:
                return rows, upto
            (following,) = curs.execute(table.following, (upto, hi)).fetchone() or (None,)
            if following is None:
                return [], hi
            lo = following - 1
    return [], hi


def _windows(
    connection: psycopg.Connection[Any], source: Source, lo: int, hi: int
) -> tuple[list[EventRow], list[ChainRow], int]:
    """The stored events and the chain rows in the next window of PAGE ids after `lo` (up
    to `hi`), and where the window ends; as `_window`, a window where neither has a row
    skips to the next row either has."""
    events, chain = source.events.rows(connection), source.chain.rows(connection)
    with _reading(connection) as curs:
        while lo < hi:
            upto = min(hi, lo + PAGE)
            stored: list[EventRow] = curs.execute(events, (lo, upto)).fetchall()
            chained: list[ChainRow] = curs.execute(chain, (lo, upto)).fetchall()
            if stored or chained or upto >= hi:
                return stored, chained, upto
            following = [
                row[0]
                for table in (source.events, source.chain)
                if (row := curs.execute(table.following, (upto, hi)).fetchone()) is not None
                and row[0] is not None
            ]
            if not following:
                return [], [], hi
            lo = min(following) - 1
    return [], [], hi


def _walk_apart(send: Any, source: Source, walk: _Walk, lo: int, hi: int) -> None:
    """A forked process's walk over notifications (lo, hi], on its own connection (the
    parent's pooled ones are the parent's: let go of here without closing them, and psycopg
    does not end a connection another process opened)."""
    result: tuple[str, Any]
    try:
        source.engine.dispose(close=False)
        raw = source.engine.raw_connection()
        try:
            connection = raw.driver_connection
            assert isinstance(connection, psycopg.Connection)
            result = ("part", source.run(connection, walk, lo, hi))
        finally:
            raw.close()
            source.engine.dispose()  # this process's own connection, closed
    except BaseException:
        result = ("error", traceback.format_exc())
    send.send(result)
    send.close()
