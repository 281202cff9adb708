"""One package (the link a provider is sent), for those the access policy lets read its
case's packages; the read recorded on its case."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime import policy
from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.application.access import scope_of
from services.commissioning.domain.aggregates import CasePackages, Package, case_packages_uuid

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def package(app: CommissioningApp, caller: Caller, package_id: UUID) -> Package:
    policy.require_role(caller, Action.READ_PACKAGES)  # before saying whether it exists
    work = Work(app)
    found = work.get_as(package_id, Package, "package")  # its case is known from it
    held = work.find(case_packages_uuid(found.case_id))
    case = held if isinstance(held, CasePackages) else None
    read_case(
        app,
        caller,
        Action.READ_PACKAGES,
        found.case_id,
        lambda _work, _case: (found, case),
        lambda pair: scope_of(*pair),
    )
    return found
