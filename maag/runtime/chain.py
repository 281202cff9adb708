"""Tamper evidence: a hash chain over a service's stored events, in notification order
(and, in the same pass, the index of which aggregates belong to which case).

Each link's hash covers the previous hash and the stored event exactly as stored (id,
originator, version, topic and the state bytes — encrypted where the store encrypts), so
an event altered, deleted, inserted into a gap or moved after it was chained breaks the
chain at that event. The chain sits beside the events, in the service's own schema; a
chainer keeps it up to date like a projection, and `maag audit verify` walks it.

Limit: the chain proves the history up to its head has not changed since it was chained;
rows appended beyond the head are indistinguishable from new events until chained, and
someone able to rewrite both tables could rebuild the chain (anchoring the head outside
the database would close that; not done).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, LargeBinary, MetaData, Table, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from maag.runtime import metrics
from maag.runtime.application import ServiceApplication
from maag.runtime.case_index import CaseIndex
from maag.runtime.follower import Follower, Wakeup, in_thread
from maag.runtime.logging import get_logger
from maag.runtime.projection import create_tables

log = get_logger(__name__)
GENESIS = bytes(32)


def link(previous: bytes, n: Any) -> bytes:
    h = hashlib.sha256(previous)
    for part in (str(n.id), str(n.originator_id), str(n.originator_version), n.topic):
        h.update(part.encode())
        h.update(b"\x1f")  # unit separator: no two different events hash the same parts
    h.update(bytes(n.state))
    return h.digest()


@dataclass(frozen=True)
class Break:
    notification_id: int
    kind: str  # altered | deleted | inserted
    detail: str

    def __str__(self) -> str:
        return f"notification {self.notification_id}: {self.kind} ({self.detail})"


@dataclass(frozen=True)
class Verdict:
    chained: int
    head: int  # the last notification the chain covers
    stored_head: int  # the newest stored; those after `head` are not covered yet
    breaks: list[Break]

    @property
    def clean(self) -> bool:
        return not self.breaks


class EventChain:
    def __init__(
        self,
        app: ServiceApplication,
        engine: Engine,
        batch_size: int = 2000,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.app = app
        self.wakeup = wakeup or Wakeup(None, None)
        self.engine = engine
        self.batch_size = batch_size
        self.table = Table(
            f"{app.name.lower()}_event_chain",
            MetaData(),
            Column("notification_id", BigInteger, primary_key=True, autoincrement=False),
            Column("hash", LargeBinary, nullable=False),
        )
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

    def extend_once(self) -> int:
        with Session(self.engine) as session, session.begin():
            last, previous = self.head(session)
            notifications = self.app.notifications(last, self.batch_size)
            rows = []
            for n in notifications:
                previous = link(previous, n)
                rows.append({"notification_id": n.id, "hash": previous})
            if rows:
                session.execute(self.table.insert(), rows)
                self.index.add(session, notifications)
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

    def _stored(self, upto: int) -> Iterator[Any]:
        for n in self.app.notifications_after(0):
            if n.id > upto:
                return
            yield n

    def verify(self) -> Verdict:
        with Session(self.engine) as session:
            head, _ = self.head(session)
            chain = dict(
                session.execute(select(self.table.c.notification_id, self.table.c.hash)).all()
            )
        stored = {n.id: n for n in self._stored(head)}
        breaks: list[Break] = []
        previous = GENESIS
        for nid in sorted(chain.keys() | stored.keys()):
            n, expected = stored.get(nid), chain.get(nid)
            if n is None:
                breaks.append(Break(nid, "deleted", "chained, no longer stored"))
                previous = bytes(expected or GENESIS)
            elif expected is None:
                breaks.append(
                    Break(
                        nid,
                        "inserted",
                        f"stored inside the chained history, never chained: {n.topic} "
                        f"{n.originator_id} v{n.originator_version}",
                    )
                )
            elif link(previous, n) != bytes(expected):
                breaks.append(
                    Break(
                        nid,
                        "altered",
                        f"{n.topic} {n.originator_id} v{n.originator_version} differs "
                        "from what was chained",
                    )
                )
                previous = bytes(expected)
            else:
                previous = bytes(expected)
        stored_head = self.app.recorder.max_notification_id() or 0
        return Verdict(chained=len(chain), head=head, stored_head=stored_head, breaks=breaks)
