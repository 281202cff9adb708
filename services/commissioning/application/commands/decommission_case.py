"""Every active package of a case stops from a date: when the panel closes the case, or
consent is withdrawn with no safeguarding basis to go on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.events.commissioning import DecommissionReason
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.application.commands.decommission_package import (
    decommission_package,
)
from services.commissioning.domain.aggregates import CasePackages, Package, case_packages_uuid

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


@dataclass(frozen=True, kw_only=True)
class DecommissionCase(Command):
    case_id: UUID
    reason: DecommissionReason
    effective_from: date


@handlers(DecommissionCase)
def decommission_case(
    app: CommissioningApp, command: DecommissionCase, work: Work[CommissioningApp]
) -> int:
    """How many packages were stopped."""
    found = work.find(case_packages_uuid(command.case_id))
    case = found if isinstance(found, CasePackages) else CasePackages(case_id=command.case_id)
    # its lead's access to its packages ends with it (until consent is given again)
    if command.reason is DecommissionReason.CASE_CLOSED:
        case.close()
    elif command.reason is DecommissionReason.CONSENT_WITHDRAWN:
        case.note_consent(withdrawn=True)
    work.add(case)
    done = 0
    for package_id in case.package_ids:
        package = work.find(package_id)
        if isinstance(package, Package) and decommission_package(
            work, package, command.reason, command.effective_from, app.today()
        ):
            done += 1
    return done
