"""The packages commissioned from the caller's provider that are running (what its staff
need to start and deliver the work: the lines, the dates, whom to contact), newest first.
Each package is still asked of the one policy (one it no longer allows is left out), and
each read is recorded on its case."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contracts.reference import Role
from maag.runtime import policy
from maag.runtime.evidence.reads import record_read
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.application.access import scope_of
from services.commissioning.application.queries.package import PackageRead, case_of, read
from services.commissioning.application.tables import lines, packages
from services.commissioning.domain.aggregates import Package

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def packages_of_provider(
    app: CommissioningApp, caller: Caller, engine: Engine
) -> list[PackageRead]:
    caller.require(Role.PROVIDER, to="read the packages commissioned from their provider")
    query = (
        select(packages.c.package_id)
        .join(lines, lines.c.period_id == packages.c.period_id)
        .where(lines.c.provider_id == caller.provider, packages.c.ended_on.is_(None))
        .order_by(packages.c.starts_on.desc())
    )
    with Session(engine) as session:  # a package with two lines from it: listed once
        ids = [UUID(p) for p in dict.fromkeys(session.execute(query).scalars())]
    work, found = Work(app), []
    for package_id in ids:
        package = work.get_as(package_id, Package, "package")
        case = case_of(work, package)
        # the list may lag a change of provider or a closure: the package itself decides
        if policy.allows(caller, Action.READ_PACKAGES, scope_of(package, case)):
            record_read(app, package.case_id, caller)
            found.append(read(package, case))
    return found
