"""A case's packages, for those the access policy lets read every one of them (a panel
member: of the district and tier that agreed each); the read recorded on the case.

Not through `maag.runtime.queries.read_case`, which asks the policy of one scope: a case's
packages each carry their own panel's (a case moves between tiers), and a case with none
here is read as having none. The steps are the same: the role, each scope, the record."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime import policy
from maag.runtime.evidence.reads import record_read
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.application.access import scope_of
from services.commissioning.domain.aggregates import CasePackages, Package, case_packages_uuid

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def packages_of_case(app: CommissioningApp, caller: Caller, case_id: UUID) -> list[Package]:
    policy.require_role(caller, Action.READ_PACKAGES)  # before saying whether it exists
    work = Work(app)
    case = work.find(case_packages_uuid(case_id))
    ids = case.package_ids if isinstance(case, CasePackages) else []
    found = [p for pid in ids if isinstance(p := work.find(pid), Package)]
    held = case if isinstance(case, CasePackages) else None
    for package in found:
        policy.require(caller, Action.READ_PACKAGES, scope_of(package, held))
    record_read(app, case_id, caller)
    return found
