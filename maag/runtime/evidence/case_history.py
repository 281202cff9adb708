"""One service's part of a case's history, read from its event store.

The case index names the case's aggregates (so nothing scans the whole store); their
events are read from the store itself, and events stored since the index last caught up
are found in the short tail after its head. Aggregates the service's events name in its
`AuditSpec.follow` (the panel's meetings) are followed, so their attendance is in the
timeline too.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from maag.runtime.evidence.case_index import case_of
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.timeline import Entry, describe
from maag.runtime.spec import AuditSpec
from maag.runtime.store.application import ServiceApplication


class CaseHistory:
    def __init__(
        self, service: str, app: ServiceApplication, chain: EventChain, audit: AuditSpec
    ) -> None:
        self.service = service
        self.app = app
        self.chain = chain
        self.audit = audit

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
        described = [describe(self.service, case_id, e, self.audit) for e in self.events(case_id)]
        return sorted(described, key=lambda e: (e.at, e.aggregate_id, e.version))
