"""What commissioning's events mean in a case's audit timeline."""

from __future__ import annotations

from maag.runtime.spec import AuditSpec, Change
from services.commissioning.domain.aggregates import Package, Refusal


def _package(e: Package.Commissioned | Package.Recommissioned) -> dict[str, object]:
    return {
        "providers": sorted({str(line["provider_id"]) for line in e.lines}),
        "weekly_cost_pence": e.weekly_cost_pence,
        "starts_on": str(e.starts_on),
    }


def _commissioned(e: Package.Commissioned) -> Change:
    return Change(set={"status": "package commissioned"}, package=(str(e.package_id), _package(e)))


def _recommissioned(e: Package.Recommissioned) -> Change:
    return Change(package=(str(e.originator_id), _package(e)))


def _decommissioned(e: Package.Decommissioned) -> Change:
    return Change(ended_package=str(e.originator_id))


def _refused(e: Refusal.Refused) -> Change:
    return Change(set={"status": "commissioning refused"})


AUDIT = AuditSpec(
    effects={
        Package.Commissioned: _commissioned,
        Package.Recommissioned: _recommissioned,
        Package.Decommissioned: _decommissioned,
        Refusal.Refused: _refused,
    }
)
