"""One package (the link a provider is sent), for those the access policy lets read its
case's packages (the provider it is bought from among them), with whom to contact to start
the work: the case's lead professional while the case is open. The read is recorded on its
case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime import policy
from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.application.access import scope_of
from services.commissioning.domain.aggregates import CasePackages, Package, case_packages_uuid
from services.commissioning.domain.values import LeadContact

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


@dataclass(frozen=True)
class PackageRead:
    package: Package
    lead: LeadContact | None  # while the case is open


def package(app: CommissioningApp, caller: Caller, package_id: UUID) -> PackageRead:
    policy.require_role(caller, Action.READ_PACKAGES)  # before saying whether it exists
    work = Work(app)
    found = work.get_as(package_id, Package, "package")  # its case is known from it
    case = case_of(work, found)
    read_case(
        app,
        caller,
        Action.READ_PACKAGES,
        found.case_id,
        lambda _work, _case: (found, case),
        lambda pair: scope_of(*pair),
    )
    return read(found, case)


def case_of(work: Work, package: Package) -> CasePackages | None:
    held = work.find(case_packages_uuid(package.case_id))
    return held if isinstance(held, CasePackages) else None


def read(package: Package, case: CasePackages | None) -> PackageRead:
    return PackageRead(package, case.lead_contact if case is not None and case.open else None)
