"""Note the case's lead professional as the panel named them, or that the panel closed the
case: the lead may read the emails sent about it while it is open (`application/access.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.commands import handlers
from services.notifications.domain.known_case import KnownCase, known_case_id

if TYPE_CHECKING:
    from services.notifications.application.app import NotificationsApp


@dataclass(frozen=True, kw_only=True)
class NoteLead(Command):
    case_id: UUID
    professional_id: str | None  # None: the case closed, and the lead's access with it


@handlers(NoteLead)
def note_lead(app: NotificationsApp, command: NoteLead, work: Work) -> KnownCase:
    found = work.find(known_case_id(command.case_id))
    case = found if isinstance(found, KnownCase) else KnownCase(case_id=command.case_id)
    if command.professional_id is None:
        case.close()
    else:
        case.note_lead(command.professional_id)
    work.add(case)
    return case
