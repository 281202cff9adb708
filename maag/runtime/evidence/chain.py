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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier
from sqlalchemy import BigInteger, Column, LargeBinary, MetaData, Table, Uuid, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from maag.runtime.evidence.case_index import CaseIndex
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.follower import Follower, Wakeup, in_thread
from maag.runtime.follow.projection import create_tables
from maag.runtime.logging import get_logger
from maag.runtime.store.application import ServiceApplication, StoredRow
from maag.runtime.web import metrics

log = get_logger(__name__)
GENESIS = bytes(32)
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
    kind: str  # altered | deleted | inserted | unindexed | misindexed | truncated | rechained | forged
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

    def head(self, session: Session) -> tuple[int, bytes]:
        last = session.execute(select(func.max(self.table.c.notification_id))).scalar()
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
                    bytes(n.state),
                )
                rows.append({"notification_id": n.id, "hash": previous, "case_id": case_id})
            if rows:
                session.execute(self.table.insert(), rows)
                self.index.add_rows(session, cases.items())
                head = self.app.recorder.max_notification_id() or 0
                metrics.STORE_LAG.labels(self.app.name.lower(), "chain").set(
                    max(0, head - notifications[-1].id)
                )
            return len(rows)

    def extend(self) -> None:
        while self.extend_once():
            pass

    async def run(self, stop: asyncio.Event) -> None:
        # A failure is a conflict with another replica or the store away: try again.
        await Follower("chain", in_thread(self.extend_once), self.wakeup, gather=0.2).run(stop)

    def chained(self, session: Session) -> Iterator[ChainRow]:
        """The chain's rows in order, case ids as text."""
        found = _server_side(
            session,
            SQL("SELECT notification_id, hash, case_id::text FROM {} ORDER BY notification_id"),
            self.table.name,
        )
        if found is not None:
            yield from found
            return
        query = select(self.table.c.notification_id, self.table.c.hash, self.table.c.case_id)
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
            indexed = self.indexed(session)
            walk = _Walk(self.link, anchors)
            walk.run(self.app.stored_rows(head), self.chained(session))
        stored_head = self.app.recorder.max_notification_id() or 0
        walk.finish(indexed, head, stored_head)
        latest = max((a.head for a in anchors), default=0)
        return Verdict(
            chained=walk.chained,
            head=head,
            stored_head=stored_head,
            breaks=walk.breaks,
            anchors=len(anchors),
            anchored_head=latest,
        )


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


class _Walk:
    """One pass over the stored events and the chain rows, both in notification order."""

    def __init__(self, link: Linker, anchors: Sequence[Anchored]) -> None:
        self.link = link
        self.anchors: dict[int, list[Anchored]] = {}
        for a in anchors:
            self.anchors.setdefault(a.head, []).append(a)
        self.breaks: list[Break] = []
        self.chained = 0
        # (case id, aggregate id) -> the notification whose link covers it
        self.expected_index: dict[tuple[str, str], int] = {}
        self.deleted_cases: set[str] = set()

    def run(self, stored: Iterable[StoredRow], chained: Iterable[ChainRow]) -> None:
        # The hot loop of a tamper check (millions of events): locals, no calls but the link.
        link, anchored, breaks = self.link, self.anchors, self.breaks
        previous = GENESIS
        none: Any = (1 << 63, b"", None)  # past the end of either stream
        stored_it, chained_it = iter(stored), iter(chained)
        s: Any = next(stored_it, none)
        c: Any = next(chained_it, none)
        count = 0
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
                if link(previous, nid, originator_id, version, topic, case_id, state) != expected:
                    breaks.append(
                        Break(
                            nid,
                            "altered",
                            f"{topic} {originator_id} v{version} differs from what was chained",
                        )
                    )
                if case_id is not None:
                    self.expected_index[(case_id, originator_id)] = nid
                s = next(stored_it, none)
            if nid in anchored:
                self._anchor(nid, expected)
            previous = expected
            c = next(chained_it, none)
        self.chained = count

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
