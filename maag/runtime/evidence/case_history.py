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
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from maag.runtime.evidence.case_index import case_of
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.timeline import Entry, describe
from maag.runtime.spec import AuditSpec
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.shredding import withheld_of

# Entries with nothing sealed kept for the next replay (about a kilobyte each): a busy case's
# reads, and many cases'.
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
        self._kept: OrderedDict[tuple[UUID, UUID, int], Entry] = OrderedDict()

    def _case_aggregates(self, case_id: UUID) -> set[UUID]:
        index = self.chain.index
        with Session(self.chain.engine) as session:
            ids = index.aggregates_of(session, case_id)
            head, _ = self.chain.head(session)
        tail = index.cases_in(self.app.notifications_after(head, 1000))
        return ids | {aggregate for case, aggregate in tail if case == case_id}

    def events(self, case_id: UUID) -> list[Any]:
        """The case's domain events in this service, and those of the aggregates followed."""
        ids = self._case_aggregates(case_id)
        histories = self.app.histories(ids) if ids else {}
        found = [e for events in histories.values() for e in events]
        followed = {
            value if isinstance(value, UUID) else UUID(str(value))
            for e in found
            for key in self.audit.follow
            if (value := vars(e).get(key))
        } - ids
        if followed:
            for events in self.app.histories(followed).values():
                # a meeting's events, less what it says about other cases
                found.extend(e for e in events if case_of(e) in (None, case_id))
        return found

    def entries(self, case_id: UUID) -> list[Entry]:
        described = [self._described(case_id, e) for e in self.events(case_id)]
        return sorted(described, key=lambda e: (e.at, e.aggregate_id, e.version))

    def _described(self, case_id: UUID, event: Any) -> Entry:
        """The event's entry, kept when nothing of it is sealed: a stored event never changes,
        and one with nothing sealed reads the same after an erasure, so its entry is the
        same on every replay (a case read a thousand times has a thousand such entries,
        describing them was most of a replay). An event with anything sealed is described
        afresh each time: an erasure changes what it reads as."""
        if withheld_of(type(event)):
            return describe(self.service, case_id, event, self.audit)
        # the case is in the key: a followed meeting's event is an entry of each case it names
        key = (case_id, event.originator_id, event.originator_version)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        entry = describe(self.service, case_id, event, self.audit)
        with self._lock:
            self._kept[key] = entry
            while len(self._kept) > ENTRIES_KEPT:
                self._kept.popitem(last=False)  # the least recently replayed
        return entry
