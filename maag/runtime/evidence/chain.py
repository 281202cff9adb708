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
import itertools
import multiprocessing
import os
import threading
import traceback
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier
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
            source = Source.of(self)
            if source is None:  # not PostgreSQL: one walk, through the libraries
                parts = [walk.run(self._stored(head), self._chained(session), GENESIS)]
                indexed = {
                    b"%b\x1f%b" % (c.encode(), a.encode()) for c, a in self.index.rows(session)
                }
            else:
                parts, indexed = source.walk(walk, session, head, _workers(head, workers))
        stored_head = self.app.recorder.max_notification_id() or 0
        breaks = _finish(parts, indexed, anchored, head, stored_head)
        sealed = sum(p.sealed for p in parts)
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
            chained=sum(p.chained for p in parts),
            head=head,
            stored_head=stored_head,
            breaks=breaks,
            anchors=len(anchors),
            anchored_head=latest,
            cutover=legacy_upto or 0,
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

    breaks: list[Break]
    chained: int
    sealed: int  # chained events that carry a MAC
    # case-index key (case id SEP aggregate id) -> the notification whose link covers it
    expected: dict[bytes, int]
    deleted_cases: set[bytes]  # the cases of deleted first events: their index rows go unchecked
    anchors_met: set[int]  # anchored heads in the range (each held to its hash)


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

    def run(
        self, stored: Iterable[EventRow], chained: Iterable[ChainRow], previous: bytes
    ) -> _Part:
        """`previous`: the link of the chain row before the range (GENESIS at the start)."""
        # The hot loop of a tamper check (millions of events): locals, and the two HMACs
        # (`Linker`, `Sealer`) inlined from their pads, no calls but hashlib's. The link's
        # message is the `Linker`'s: previous, id, then `place` (originator id, version,
        # topic, each followed by SEP, as read), the case and what the link covers.
        anchored, legacy_upto = self.anchored, self.legacy_upto
        link_inner, link_outer = self.link._inner.copy, self.link._outer.copy
        seal_inner, seal_outer = self.seal.inner.copy, self.seal.outer.copy
        magic, body, sep = MAGIC, BODY, SEP
        breaks: list[Break] = []
        expected_index: dict[bytes, int] = {}
        deleted_cases: set[bytes] = set()
        met: set[int] = set()
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
                    expected_index[case_id + sep + place[: place.index(sep)]] = nid
                s = next(stored_it, none)
            if nid in anchored:
                met.add(nid)
                for a in anchored[nid]:
                    if a.hash != expected:
                        breaks.append(
                            Break(
                                nid,
                                "rechained",
                                f"the chain here differs from the head anchored {a.label}: the "
                                "history up to it was rewritten and chained again",
                            )
                        )
            previous = expected
            c = next(chained_it, none)
        return _Part(breaks, count, sealed_count, expected_index, deleted_cases, met)


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
    expected: dict[bytes, int] = {}
    deleted: set[bytes] = set()
    met: set[int] = set()
    for p in parts:
        expected.update(p.expected)
        deleted |= p.deleted_cases
        met |= p.anchors_met
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


class Source:
    """A PostgreSQL store's events, chain and case index, read in binary by plain queries
    a window of ids at a time (a tamper check reads every row: ORM rows, eventsourcing's
    notifications or a hex bytea would cost more than the hashing), a range of
    notifications per connection."""

    def __init__(self, engine: Engine, events: Composed, chain: str, index: str) -> None:
        self.engine = engine
        # An event's place (originator id, version and topic, framed as `sealed.where`)
        # comes as one value, as the MAC and the link hash it: one object a row, not three
        # to encode and frame again. It is what the columns hold, checked as before.
        self.events = _Paged(
            "notification_id, convert_to(concat(originator_id, chr(31), originator_version, "
            "chr(31), topic, chr(31)), 'UTF8'), coalesce(state, ''::bytea)",
            events,
        )
        self.chain = _Paged(
            "notification_id, hash, coalesce(convert_to(case_id::text, 'UTF8'), ''::bytea)",
            Identifier(chain),
        )
        self.previous = SQL(
            "SELECT hash FROM {t} WHERE notification_id = (SELECT max(notification_id) FROM {t} "
            "WHERE notification_id > 0 AND notification_id <= %s)"
        ).format(t=Identifier(chain))
        self.index = SQL(
            "SELECT convert_to(case_id::text || chr(31) || originator_id::text, 'UTF8') FROM {}"
        ).format(Identifier(index))

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
        return walk.run(
            self.pages(connection, self.events, lo, hi),
            self.pages(connection, self.chain, lo, hi),
            previous,
        )

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
        with connection.cursor(name="maag_case_index", row_factory=tuple_row) as curs:
            curs.execute(self.index, binary=True)
            while rows := curs.fetchmany(PAGE):
                found.update(key for (key,) in rows)
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
            parts = []
            for process, receive, lo, hi in running:
                try:
                    kind, found = receive.recv()
                except EOFError:
                    process.join()
                    kind, found = "error", f"its process ended with {process.exitcode}"
                if kind != "part":
                    log.warning("verify walking a range itself", range=(lo, hi), error=found)
                    found = self.run(connection, walk, lo, hi)
                parts.append(found)
            return parts, indexed
        finally:
            for process, receive, _, _ in running:
                receive.close()
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
                    process.join()


class _Paged:
    """A table's rows read a window of notification ids at a time (`Source.pages`)."""

    def __init__(self, columns: str, table: Composable) -> None:
        self.rows = SQL(
            "SELECT {} FROM {} WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id"
        ).format(SQL(columns), table)
        self.following = SQL(
            "SELECT min(notification_id) FROM {} WHERE notification_id > %s "
            "AND notification_id <= %s"
        ).format(table)


def _window(
    connection: psycopg.Connection[Any], table: _Paged, lo: int, hi: int
) -> tuple[list[Any], int]:
    """`table`'s rows in the next window of PAGE ids after `lo` (up to `hi`), and where the
    window ends. Each query is bounded by its ids, so that however the planner reads it (a
    table never analysed, say) it reads no more than the window; an empty window skips to
    the next row there is (a gap in the ids costs a query, not one per window)."""
    with connection.cursor(row_factory=tuple_row, binary=True) as curs:
        while lo < hi:
            upto = min(hi, lo + PAGE)
            rows = curs.execute(table.rows, (lo, upto)).fetchall()
            if rows or upto >= hi:
                return rows, upto
            (following,) = curs.execute(table.following, (upto, hi)).fetchone() or (None,)
            if following is None:
                return [], hi
            lo = following - 1
    return [], hi


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
