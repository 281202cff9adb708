"""Note the case's lead professional, as the panel named them: they may read the case's
packages while the case is open (`application/access.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.domain.aggregates import CasePackages, case_packages_uuid

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


@dataclass(frozen=True, kw_only=True)
class NoteLead(Command):
    case_id: UUID
    professional_id: str


@handlers(NoteLead)
def note_lead(app: CommissioningApp, command: NoteLead, work: Work[CommissioningApp]) -> None:
    found = work.find(case_packages_uuid(command.case_id))
    case = found if isinstance(found, CasePackages) else CasePackages(case_id=command.case_id)
    case.note_lead(command.professional_id)
    work.add(case)
