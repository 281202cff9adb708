"""Note the case's lead professional, as the panel named them: they may read the case's
packages while the case is open (`application/access.py`), and its providers are told whom
to contact to start the work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.domain.aggregates import CasePackages, case_packages_uuid
from services.commissioning.domain.values import LeadContact

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


@dataclass(frozen=True, kw_only=True)
class NoteLead(Command):
    case_id: UUID
    professional_id: str
    contact: LeadContact | None = None


@handlers(NoteLead)
def note_lead(app: CommissioningApp, command: NoteLead, work: Work[CommissioningApp]) -> None:
    found = work.find(case_packages_uuid(command.case_id))
    case = found if isinstance(found, CasePackages) else CasePackages(case_id=command.case_id)
    case.note_lead(command.professional_id, command.contact)
    work.add(case)
