"""Note where the case stands for its lead professional, as the panel tells it: who leads it,
that it closed, that consent was withdrawn (the case paused) or it was listed again. The
lead may read the emails sent about it while it is open (`application/access.py`)."""

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
    professional_id: str | None = None  # the lead the panel named
    closed: bool = False  # the panel closed the case
    withdrawn: bool | None = None  # consent withdrawn (paused), or not (listed again)


@handlers(NoteLead)
def note_lead(app: NotificationsApp, command: NoteLead, work: Work) -> KnownCase | None:
    found = work.find(known_case_id(command.case_id))
    if not isinstance(found, KnownCase) and command.professional_id is None:
        return None  # no lead known here: nobody's reading to change
    case = found if isinstance(found, KnownCase) else KnownCase(case_id=command.case_id)
    if command.professional_id is not None:
        case.note_lead(command.professional_id)
    if command.closed:
        case.close()
    if command.withdrawn is not None:
        case.note_consent(command.withdrawn)
    work.add(case)
    return case
