"""A case's timeline: each stored event described for an auditor (who, when, on what basis,
caused by what, and what it changed), with what the service withholds left out; and the
case's state as of any moment, folded from the entries.

Each service says in its `AuditSpec` what its own events mean; nothing here names one.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import httpx

from maag.runtime import causation
from maag.runtime.evidence.reads import CaseRead
from maag.runtime.spec import NO_CHANGE, AuditSpec, Change, stored_classes

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
    change: Change = NO_CHANGE
    # Each detail's data class, as its event declares it: what reads the entry elsewhere
    # (subject access) treats it by (an entry from before classes has none).
    classes: dict[str, str] = field(default_factory=dict)

    @property
    def agency(self) -> str | None:
        if self.actor:
            return self.actor.get("agency")
        found = self.details.get("agency")
        return str(found) if found else None

    def to_json(self) -> dict[str, Any]:
        # field by field, not `asdict`: its deep copy of every detail was most of the cost of
        # a long timeline (a case read a thousand times has a thousand entries)
        return {
            "at": self.at.isoformat(),
            "service": self.service,
            "event": self.event,
            "case_id": self.case_id,
            "event_id": self.event_id,
            "caused_by": plain(self.caused_by),
            "actor": plain(self.actor),
            "basis": self.basis,
            # JSON-ready already: `describe` made each value plain, `from_json` read them so
            "details": self.details,
            "aggregate_id": self.aggregate_id,
            "version": self.version,
            "classes": dict(self.classes),
            "change": plain(self.change.to_json()),
            "agency": self.agency,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        given = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        given["at"] = datetime.fromisoformat(given["at"])
        given["change"] = Change.from_json(given.get("change"))
        return cls(**given)


# What the runtime's own events (audited reads) mean, beside each service's.
RUNTIME = AuditSpec(effects={CaseRead.Recorded: lambda e: Change(count=("reads",))})


def describe(
    service: str,
    case_id: UUID,
    domain_event: Any,
    audit: AuditSpec = RUNTIME,
    *,
    to_reader: bool = False,
) -> Entry:
    """The entry an auditor sees (identifying and special-category values withheld), or,
    `to_reader`, someone who may read the child (only what `audit.withheld_as` names)."""
    state = vars(domain_event)
    kind = type(domain_event).__qualname__
    change = audit.effect(domain_event)
    if change is NO_CHANGE:
        change = RUNTIME.effect(domain_event)
    classes = stored_classes(type(domain_event))
    shown = {
        k: _shown(audit.withheld(k, classes.get(k), to_reader=to_reader), v)
        for k, v in state.items()
        if not k.startswith("_")
    }
    details = {k: v for k, v in shown.items() if k not in _SHOWN_APART}
    basis = next((str(shown[k]) for k in _BASIS_KEYS if state.get(k)), None)
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
        change=change,
        classes={k: str(classes[k]) for k in details if k in classes},
    )


def _shown(withheld: str | None, value: Any) -> Any:
    return plain(value) if withheld is None else withheld


@dataclass
class CaseState:
    status: str = "unknown"
    consent: str = "not recorded"
    safeguarding_basis: bool = False
    panel: str | None = None  # the tier: MAAG, EARP or JAP
    district: str | None = None
    level_of_need: int | None = None  # as triaged, then as reviews changed it
    lead_professional: dict[str, str] | None = None
    active_packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    emails_sent: int = 0
    reads: int = 0
    personal_data: str = "held"  # or "erased" (its key destroyed)
    legal_hold: str | None = None  # "until <day>", or "released"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def apply(self, change: Change) -> None:
        for name, value in change.set.items():
            if name in _SETTABLE:  # a part from another service names only these
                setattr(self, name, value)
        for name in change.count:
            if name in _COUNTERS:
                setattr(self, name, getattr(self, name) + 1)
        if change.package is not None:
            package_id, package = change.package
            self.active_packages[package_id] = dict(package)
        if change.ended_package is not None:
            self.active_packages.pop(change.ended_package, None)


_COUNTERS = {"emails_sent", "reads"}
_SETTABLE = {f.name for f in fields(CaseState)} - _COUNTERS - {"active_packages"}


def as_of(entries: Iterable[Entry], when: datetime | None = None) -> CaseState:
    """The state after every entry at or before `when` (all of them when `when` is None)."""
    state = CaseState()
    for entry in sorted(entries, key=lambda e: e.at):
        if when is not None and entry.at > when:
            break
        state.apply(entry.change)
    return state


Part = Callable[[UUID], list[Entry]]


@dataclass(frozen=True)
class Replay:
    case_id: UUID
    as_of: datetime | None
    entries: list[Entry]  # those at or before `as_of`
    state: CaseState

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": str(self.case_id),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "entries": [e.to_json() for e in self.entries],
            "state": self.state.to_json(),
        }


def merge(
    case_id: UUID, entries: list[Entry], when: datetime | None = None, order: Sequence[str] = ()
) -> Replay:
    """The entries at or before `when` in time order (events at the same instant in the
    services' `order`, the order a case moves through them), and the state they make."""

    def key(entry: Entry) -> tuple[datetime, int, str, int]:
        rank = order.index(entry.service) if entry.service in order else len(order)
        return (entry.at, rank, entry.aggregate_id, entry.version)

    shown = sorted((e for e in entries if when is None or e.at <= when), key=key)
    return Replay(case_id, when, shown, as_of(shown))


def replay(case_id: UUID, parts: Mapping[str, Part], when: datetime | None = None) -> Replay:
    """The parts merged, in the order the parts are given; the parts are asked at once (each
    is a service's store or endpoint: the slowest, not their sum, is what the caller waits)."""
    with ThreadPoolExecutor(max_workers=max(1, len(parts))) as pool:
        # each in a copy of the caller's context: its logs keep the request's correlation id
        asked = [pool.submit(contextvars.copy_context().run, p, case_id) for p in parts.values()]
        found = [f.result() for f in asked]
    entries = [e for part_entries in found for e in part_entries]
    return merge(case_id, entries, when, list(parts))


class ReplayRefused(Exception):
    pass


def over_http(base_url: str, token: str, timeout: float = 30.0) -> Part:
    """A service's part of a case's timeline from its auditor-only endpoint."""

    def part(case_id: UUID) -> list[Entry]:
        try:
            response = httpx.get(
                f"{base_url.rstrip('/')}/audit/cases/{case_id}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=timeout,
            )
        except httpx.HTTPError as e:
            raise ReplayRefused(
                f"{base_url}: {e!r} (is the system up? `maag up`; or use --from-stores)"
            ) from e
        if response.status_code != 200:
            raise ReplayRefused(f"{base_url}: HTTP {response.status_code}: {response.text}")
        return [Entry.from_json(e) for e in response.json()["entries"]]

    return part


def parts_over_http(urls: Mapping[str, str], token: str) -> dict[str, Part]:
    """Each service's part, from its audit endpoint at `urls[service]`."""
    return {name: over_http(url, token) for name, url in urls.items()}
