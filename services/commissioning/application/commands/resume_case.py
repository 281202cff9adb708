"""Consent given again after a withdrawal: the case's lead may read its packages again
(`application/access.py`)."""

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
class ResumeCase(Command):
    case_id: UUID


@handlers(ResumeCase)
def resume_case(app: CommissioningApp, command: ResumeCase, work: Work[CommissioningApp]) -> None:
    found = work.find(case_packages_uuid(command.case_id))
    if isinstance(found, CasePackages) and found.withdrawn:
        found.note_consent(withdrawn=False)
        work.add(found)
