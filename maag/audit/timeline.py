"""Timeline entries: one stored event, described for an auditor (who, when, on what basis,
caused by what), with the child's personal details withheld."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from maag.runtime import causation

# Kept by the stored event, shown elsewhere in the entry, or not meaningful to an auditor.
_SHOWN_APART = {
    "originator_id",
    "originator_version",
    "originator_topic",
    "timestamp",
    "case_id",
    "actor",
    causation.ATTRIBUTE,
}
# The referral's `details` hold the child's name and date of birth: they never leave the
# referral service's API, not even into an audit replay.
WITHHELD = {"details": "[withheld: the child's details stay in the referral service]"}
_BASIS_KEYS = ("justification", "reason", "basis")


def plain(value: Any) -> Any:
    """JSON-ready: uuids, dates and enums as strings, containers recursively."""
    if isinstance(value, UUID | date | datetime):
        return value.isoformat() if isinstance(value, date | datetime) else str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Entry:
    at: datetime
    service: str
    event: str  # "<Aggregate>.<Event>", e.g. "PanelCase.LeadProfessionalAssigned"
    case_id: str
    event_id: str  # the ce_id the service's outbox gives (or would give) this event
    caused_by: dict[str, str] | None
    actor: dict[str, str] | None
    basis: str | None
    details: dict[str, Any]
    aggregate_id: str
    version: int

    @property
    def agency(self) -> str | None:
        if self.actor:
            return self.actor.get("agency")
        found = self.details.get("agency")
        return str(found) if found else None

    def to_json(self) -> dict[str, Any]:
        out = plain(asdict(self))
        out["agency"] = self.agency
        return dict(out)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["at"] = datetime.fromisoformat(fields["at"])
        return cls(**fields)


def describe(service: str, case_id: UUID, domain_event: Any) -> Entry:
    state = vars(domain_event)
    kind = type(domain_event).__qualname__
    details = {
        k: WITHHELD.get(k, plain(v))
        for k, v in state.items()
        if k not in _SHOWN_APART and not k.startswith("_")
    }
    basis = next((str(state[k]) for k in _BASIS_KEYS if state.get(k)), None)
    actor = state.get("actor")
    return Entry(
        at=domain_event.timestamp,
        service=service,
        event=kind,
        case_id=str(case_id),
        event_id=causation.event_id(
            service, domain_event.originator_id, domain_event.originator_version
        ),
        caused_by=causation.of(domain_event),
        actor=dict(actor) if isinstance(actor, dict) else None,
        basis=basis,
        details=details,
        aggregate_id=str(domain_event.originator_id),
        version=int(domain_event.originator_version),
    )
