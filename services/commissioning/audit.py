"""What commissioning's events mean in a case's audit timeline."""

from __future__ import annotations

from typing import Any

from maag.runtime.spec import AuditSpec, Change
from services.commissioning.domain.aggregates import Package, Refusal


def _package(e: Any) -> dict[str, Any]:
    return {
        "providers": sorted({str(line["provider_id"]) for line in e.lines}),
        "weekly_cost_pence": e.weekly_cost_pence,
        "starts_on": str(e.starts_on),
    }


AUDIT = AuditSpec(
    effects={
        Package.Commissioned: lambda e: Change(
            set={"status": "package commissioned"}, package=(str(e.package_id), _package(e))
        ),
        Package.Recommissioned: lambda e: Change(package=(str(e.originator_id), _package(e))),
        Package.Decommissioned: lambda e: Change(ended_package=str(e.originator_id)),
        Refusal.Refused: lambda e: Change(set={"status": "commissioning refused"}),
    }
)
