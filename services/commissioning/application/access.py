"""What commissioning knows of a package's case, for the one access policy
(`maag.runtime.policy`): the district and the tier whose panel agreed the package (not its
lead professional, which the panel service holds)."""

from __future__ import annotations

from maag.runtime.policy import CaseScope
from services.commissioning.domain.aggregates import Package


def scope_of(package: Package) -> CaseScope:
    return CaseScope(case_id=package.case_id, district=package.district, tier=package.panel.value)
