"""The notifications service's store: one Notification aggregate per email, and what it knows
of each case's scope (for who may read the emails sent about it)."""

from __future__ import annotations

from uuid import UUID

from maag.runtime import policy
from maag.runtime.policy import Action, CaseScope
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.notifications.domain.known_case import KnownCase, known_case_id


class NotificationsApp(ServiceApplication):
    name = "notifications"

    def authorise_emails(self, case_id: UUID, caller: Caller) -> None:
        """The emails about a case are for panel members of its district and tier, and for
        auditors (the one policy's READ_NOTIFICATIONS)."""
        policy.require_role(caller, Action.READ_NOTIFICATIONS)
        found = Work(self).find(known_case_id(case_id))
        known = found if isinstance(found, KnownCase) else None
        scope = CaseScope(
            case_id=case_id,
            district=known.district if known else None,
            tier=known.tier if known else None,
        )
        policy.require(caller, Action.READ_NOTIFICATIONS, scope)
