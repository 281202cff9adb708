"""What commissioning knows of a package's case, for the one access policy
(`maag.runtime.policy`): the district and the tier whose panel agreed the package, the
providers it is bought from, and, from the panel's events, the case's lead professional
while the case is open."""

from __future__ import annotations

from maag.runtime.policy import CaseScope
from services.commissioning.domain.aggregates import CasePackages, Package


def scope_of(package: Package, case: CasePackages | None = None) -> CaseScope:
    return CaseScope(
        case_id=package.case_id,
        district=package.district,
        tier=package.panel.value,
        lead=case.lead if case is not None else None,
        open=case.open if case is not None else True,
        providers=frozenset(package.provider_ids),
    )
