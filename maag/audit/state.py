"""A case's state as it stood at a moment, folded from its timeline entries up to then."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from maag.audit.timeline import Entry


@dataclass
class CaseState:
    status: str = "unknown"
    consent: str = "not recorded"
    safeguarding_basis: bool = False
    panel: str | None = None  # the tier: MAAG, EARP or JAP
    district: str | None = None
    lead_professional: dict[str, str] | None = None
    active_packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    emails_sent: int = 0
    reads: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _received(s: CaseState, d: dict[str, Any]) -> None:
    s.status = "received"


def _consent(s: CaseState, d: dict[str, Any]) -> None:
    s.consent = "given"


def _withdrawn(s: CaseState, d: dict[str, Any]) -> None:
    s.consent = "withdrawn"
    s.safeguarding_basis = bool(d.get("basis_remains"))


def _basis(s: CaseState, d: dict[str, Any]) -> None:
    s.safeguarding_basis = True


def _triaged(s: CaseState, d: dict[str, Any]) -> None:
    s.status = str(d["outcome"])
    s.district = d.get("district") or s.district


def _opened(s: CaseState, d: dict[str, Any]) -> None:
    s.status = "awaiting listing"
    s.district = d.get("district") or s.district


def _listed(s: CaseState, d: dict[str, Any]) -> None:
    s.status = "listed"
    s.panel = str(d["panel"])


def _lead(s: CaseState, d: dict[str, Any]) -> None:
    s.status = "lead professional assigned"
    s.panel = str(d["panel"])
    s.lead_professional = {
        "professional_id": str(d["professional_id"]),
        "name": str(d["professional_name"]),
        "agency": str(d["agency"]),
    }


def _package_requested(s: CaseState, d: dict[str, Any]) -> None:
    s.status = "package requested"


def _moved(s: CaseState, d: dict[str, Any]) -> None:
    s.status = "awaiting listing"
    s.panel = str(d["to_panel"])


def _status(value: str) -> Callable[[CaseState, dict[str, Any]], None]:
    def apply(s: CaseState, d: dict[str, Any]) -> None:
        s.status = value

    return apply


def _commissioned(s: CaseState, d: dict[str, Any]) -> None:
    s.status = "package commissioned"
    s.active_packages[str(d["package_id"])] = _package(d)


def _recommissioned(s: CaseState, d: dict[str, Any], package_id: str) -> None:
    s.active_packages[package_id] = _package(d)


def _decommissioned(s: CaseState, d: dict[str, Any], package_id: str) -> None:
    s.active_packages.pop(package_id, None)


def _package(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "providers": sorted({str(line["provider_id"]) for line in d.get("lines", [])}),
        "weekly_cost_pence": d.get("weekly_cost_pence"),
        "starts_on": d.get("starts_on"),
    }


def _sent(s: CaseState, d: dict[str, Any]) -> None:
    s.emails_sent += 1


def _read(s: CaseState, d: dict[str, Any]) -> None:
    s.reads += 1


FOLD: dict[str, Callable[[CaseState, dict[str, Any]], None]] = {
    "Referral.Received": _received,
    "Referral.ConsentRecorded": _consent,
    "Referral.ConsentWithdrawn": _withdrawn,
    "Referral.SafeguardingBasisRecorded": _basis,
    "Referral.Triaged": _triaged,
    "Referral.Viewed": _read,
    "CaseRead.Recorded": _read,
    "PanelCase.Opened": _opened,
    "PanelCase.Listed": _listed,
    "PanelCase.LeadProfessionalAssigned": _lead,
    "PanelCase.PackageRequested": _package_requested,
    "PanelCase.Escalated": _moved,
    "PanelCase.SteppedDown": _moved,
    "PanelCase.Deferred": _status("deferred"),
    "PanelCase.Closed": _status("closed"),
    "PanelCase.Paused": _status("paused: consent withdrawn"),
    "PanelCase.Resumed": _status("awaiting listing"),
    "Package.Commissioned": _commissioned,
    "Refusal.Refused": _status("commissioning refused"),
    "Notification.Sent": _sent,
}
PER_PACKAGE = {
    "Package.Recommissioned": _recommissioned,
    "Package.Decommissioned": _decommissioned,
}


def as_of(entries: Iterable[Entry], when: datetime | None = None) -> CaseState:
    """The state after every entry at or before `when` (all of them when `when` is None)."""
    state = CaseState()
    for entry in sorted(entries, key=lambda e: e.at):
        if when is not None and entry.at > when:
            break
        if (apply := FOLD.get(entry.event)) is not None:
            apply(state, entry.details)
        elif (per_package := PER_PACKAGE.get(entry.event)) is not None:
            per_package(state, entry.details, entry.aggregate_id)
    return state
