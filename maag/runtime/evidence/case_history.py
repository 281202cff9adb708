"""One service's part of a case's history, read from its event store.

The case index names the case's aggregates (so nothing scans the whole store); their
events are read from the store itself, and events stored since the index last caught up
are found in the short tail after its head. Aggregates the service's events name in its
`AuditSpec.follow` (the panel's meetings) are followed, so their attendance is in the
timeline too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from uuid import UUID

from sqlalchemy.orm import Session

from maag.runtime.evidence.case_index import case_of
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.reads import WRITTEN_ONCE
from maag.runtime.evidence.timeline import Entry, describe
from maag.runtime.spec import AuditSpec
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.shredding import withheld_of

# Entries with nothing sealed kept for the next replay: a busy case's reads, and many cases'
# (a read's entry is about 1.4 KB: some 70 MB at most).
ENTRIES_KEPT = 50_000


class CaseHistory:
    def __init__(
        self, service: str, app: ServiceApplication, chain: EventChain, audit: AuditSpec
    ) -> None:
        self.service = service
        self.app = app
        self.chain = chain
        self.audit = audit
        # the audit endpoints run on the server's worker threads
        self._lock = threading.Lock()
        # (case, aggregate) -> (its version, its entries, whether it is never changed), for
        # aggregates kept described
        self._kept: OrderedDict[tuple[UUID, UUID], tuple[int, list[Entry], bool]] = OrderedDict()
        self._size = 0  # entries kept, in all

    def _case_aggregates(self, case_id: UUID) -> set[UUID]:
        index = self.chain.index
        with Session(self.chain.engine) as session:
            ids = index.aggregates_of(session, case_id)
            head, _ = self.chain.head(session)
        tail = index.cases_in(self.app.notifications_after(head, 1000))
        return ids | {aggregate for case, aggregate in tail if case == case_id}

    def entries(self, case_id: UUID) -> list[Entry]:
        """The case's entries in this service, those of the aggregates followed included, in
        order. An aggregate whose events have nothing sealed and name nothing followed (a
        read: most of a busy case's history) is kept described, and read from the store
        again only when its version moved: a stored event never changes, and one with
        nothing sealed reads the same after an erasure. Every other aggregate is read and
        described afresh each time (an erasure changes what its sealed values read as).
        A kept entry is not decrypted again, so a row altered in place under the same
        version shows as it was here: `maag audit verify` (and the auditor's store check)
        is what reports it."""
        ids = self._case_aggregates(case_id)
        with self._lock:
            kept = {a: self._kept[(case_id, a)] for a in ids if (case_id, a) in self._kept}
            for a in kept:  # this case's, most recently replayed: the last to be let go
                self._kept.move_to_end((case_id, a))
        # an aggregate that is never changed after it is made (a read) is not asked again
        changeable = [a for a, (_, _, final) in kept.items() if not final]
        current = self.app.versions(changeable) if changeable else {}
        unchanged = {
            a for a, (version, _, final) in kept.items() if final or current.get(a) == version
        }
        found: list[Entry] = [e for a in unchanged for e in kept[a][1]]
        histories = self.app.histories(ids - unchanged) if ids - unchanged else {}
        followed: set[UUID] = set()
        for aggregate, events in histories.items():
            described = [describe(self.service, case_id, e, self.audit) for e in events]
            found += described
            names = {
                value if isinstance(value, UUID) else UUID(str(value))
                for e in events
                for key in self.audit.follow
                if (value := vars(e).get(key))
            }
            followed |= names
            keep = not names and not any(withheld_of(type(e)) for e in events)
            final = all(type(e) in WRITTEN_ONCE for e in events)
            self._keep((case_id, aggregate), events[-1].originator_version, described, keep, final)
        for events in self.app.histories(followed - ids).values() if followed - ids else ():
            # a meeting's events, less what it says about other cases
            found += [
                describe(self.service, case_id, e, self.audit)
                for e in events
                if case_of(e) in (None, case_id)
            ]
        return sorted(found, key=lambda e: (e.at, e.aggregate_id, e.version))

    def _keep(
        self,
        key: tuple[UUID, UUID],
        version: int,
        entries: list[Entry],
        keep: bool,
        final: bool,
    ) -> None:
        """Keep `entries` as the aggregate's at `version` (or, not `keep`, let go of what was
        kept of it: it has gained a sealed or followed value)."""
        with self._lock:
            replaced = self._kept.pop(key, None)
            self._size -= len(replaced[1]) if replaced else 0
            if not keep:
                return
            self._kept[key] = (version, entries, final)
            self._size += len(entries)
            while self._size > ENTRIES_KEPT and self._kept:
                _, (_, dropped, _) = self._kept.popitem(last=False)  # the least recently replayed
                self._size -= len(dropped)
