"""A case's timeline: each stored event described for an auditor (who, when, on what basis,
caused by what, and what it changed), with what the service withholds left out; and the
case's state as of any moment, folded from the entries.

Each service says in its `AuditSpec` what its own events mean; nothing here names one.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

import httpx

from maag.runtime import causation
from maag.runtime.evidence.reads import CaseRead
from maag.runtime.spec import NO_CHANGE, AuditSpec, Change, stored_classes
from maag.runtime.web.http import client_limits

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


Key = tuple[datetime, int, str, int]
T = TypeVar("T")


def ordering(order: Sequence[str]) -> Callable[[Entry], Key]:
    """The timeline's order: time, then (events at the same instant) the services' `order`,
    the order a case moves through them, then the aggregate and its version."""

    def key(entry: Entry) -> Key:
        rank = order.index(entry.service) if entry.service in order else len(order)
        return (entry.at, rank, entry.aggregate_id, entry.version)

    return key


def merge(
    case_id: UUID, entries: list[Entry], when: datetime | None = None, order: Sequence[str] = ()
) -> Replay:
    """The entries at or before `when` in the timeline's order, and the state they make."""
    shown = sorted((e for e in entries if when is None or e.at <= when), key=ordering(order))
    return Replay(case_id, when, shown, as_of(shown))


def ask_all(parts: Mapping[str, Callable[[UUID], T]], case_id: UUID) -> dict[str, T]:
    """Each part's answer, the parts asked at once (each is a service's store or endpoint:
    the slowest, not their sum, is what the caller waits)."""
    with ThreadPoolExecutor(max_workers=max(1, len(parts))) as pool:
        # each in a copy of the caller's context: its logs keep the request's correlation id
        asked = {
            name: pool.submit(contextvars.copy_context().run, p, case_id)
            for name, p in parts.items()
        }
        return {name: f.result() for name, f in asked.items()}


def replay(case_id: UUID, parts: Mapping[str, Part], when: datetime | None = None) -> Replay:
    """The parts merged, in the order the parts are given."""
    found = ask_all(parts, case_id)
    entries = [e for part_entries in found.values() for e in part_entries]
    return merge(case_id, entries, when, list(parts))


# Paged: a page of a long timeline (a case read a thousand times has thousands of entries)
# sends only the entries shown; each service folds the rest where they are, sending what
# the case's state needs of them: the few entries that set it, and its counters summed.


def _sets_state(change: Change) -> bool:
    return bool(change.set) or change.package is not None or change.ended_package is not None


def cursor(entry: Entry) -> str:
    """Where a page starts, as a query parameter: the entry's place in the order."""
    return f"{entry.at.isoformat()}|{entry.service}|{entry.aggregate_id}|{entry.version}"


def parse_cursor(text: str, order: Sequence[str]) -> Key:
    """A `cursor`'s place; ValueError when it is not one."""
    at, service, aggregate_id, version = text.split("|")
    when = datetime.fromisoformat(at)
    if when.tzinfo is None:
        raise ValueError("a cursor's time has its zone")
    rank = order.index(service) if service in order else len(order)
    return (when, rank, str(UUID(aggregate_id)), int(version))


@dataclass(frozen=True)
class Page:
    """One service's part of a page: its newest `limit` entries before the page's start
    (at or before `as_of`), and what the state needs of all its entries there."""

    entries: list[Entry]  # in order
    matching: int  # entries before the page's start (those shown among them)
    total: int  # entries at or before `as_of`
    changes: list[Entry]  # the entries that set the state
    counts: dict[str, int]  # the counters' changes, summed over the rest

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": [e.to_json() for e in self.entries],
            "matching": self.matching,
            "total": self.total,
            "changes": [e.to_json() for e in self.changes],
            "counts": self.counts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Page:
        return cls(
            [Entry.from_json(e) for e in data["entries"]],
            int(data["matching"]),
            int(data["total"]),
            [Entry.from_json(e) for e in data["changes"]],
            {str(k): int(v) for k, v in data["counts"].items()},
        )


def page_of(
    entries: Iterable[Entry],
    when: datetime | None,
    limit: int,
    before: Key | None,
    order: Sequence[str],
) -> Page:
    key = ordering(order)
    found = sorted((e for e in entries if when is None or e.at <= when), key=key)
    earlier = found if before is None else [e for e in found if key(e) < before]
    changes: list[Entry] = []
    counts: dict[str, int] = {}
    for e in found:
        if _sets_state(e.change):
            changes.append(e)
        else:
            for name in e.change.count:
                counts[name] = counts.get(name, 0) + 1
    return Page(earlier[-limit:] if limit else [], len(earlier), len(found), changes, counts)


@dataclass(frozen=True)
class Paged:
    """A page of a case's timeline across the services, and the case's whole state."""

    case_id: UUID
    as_of: datetime | None
    entries: list[Entry]  # the page's, in order
    total: int  # entries at or before `as_of`, in all
    earlier: int  # entries before the page's first
    state: CaseState

    @property
    def before(self) -> str | None:
        """The cursor of the page before this one (None: this is the first)."""
        return cursor(self.entries[0]) if self.earlier and self.entries else None

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": str(self.case_id),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "entries": [e.to_json() for e in self.entries],
            "total": self.total,
            "earlier": self.earlier,
            "before": self.before,
            "state": self.state.to_json(),
        }


def merge_pages(
    case_id: UUID, pages: Mapping[str, Page], when: datetime | None, limit: int
) -> Paged:
    """The services' pages as one (the parts' order is the services'): the newest `limit`
    of their entries, and the state folded from every service's changes, in order, with
    the counters added (they do not depend on the order)."""
    key = ordering(list(pages))
    entries = sorted((e for p in pages.values() for e in p.entries), key=key)[-limit:]
    state = as_of(sorted((e for p in pages.values() for e in p.changes), key=key))
    for p in pages.values():
        for name, n in p.counts.items():
            if name in _COUNTERS:
                setattr(state, name, getattr(state, name) + n)
    matching = sum(p.matching for p in pages.values())
    return Paged(
        case_id,
        when,
        entries,
        sum(p.total for p in pages.values()),
        matching - len(entries),
        state,
    )


class ReplayRefused(Exception):
    pass


_client: httpx.Client | None = None
_client_made = threading.Lock()


def _shared() -> httpx.Client:
    """One client for the process's calls to the other services (thread-safe, its
    connections kept): a client made per call costs some 25 ms of CPU loading the
    certificate store, three times a timeline."""
    global _client
    with _client_made:
        if _client is None:
            _client = httpx.Client(limits=client_limits())
        return _client


def _get(
    base_url: str, token: str, case_id: UUID, params: Mapping[str, str], timeout: float
) -> Any:
    """A service's auditor-only answer for a case (ReplayRefused when it gives none)."""
    try:
        response = _shared().get(
            f"{base_url.rstrip('/')}/audit/cases/{case_id}",
            params=dict(params),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except httpx.HTTPError as e:
        raise ReplayRefused(
            f"{base_url}: {e!r} (is the system up? `maag up`; or use --from-stores)"
        ) from e
    if response.status_code != 200:
        raise ReplayRefused(f"{base_url}: HTTP {response.status_code}: {response.text}")
    return response.json()


def over_http(base_url: str, token: str, timeout: float = 30.0) -> Part:
    """A service's part of a case's timeline from its auditor-only endpoint."""

    def part(case_id: UUID) -> list[Entry]:
        found = _get(base_url, token, case_id, {}, timeout)
        return [Entry.from_json(e) for e in found["entries"]]

    return part


def parts_over_http(urls: Mapping[str, str], token: str) -> dict[str, Part]:
    """Each service's part, from its audit endpoint at `urls[service]`."""
    return {name: over_http(url, token) for name, url in urls.items()}


def pages_over_http(
    urls: Mapping[str, str], token: str, params: Mapping[str, str], timeout: float = 30.0
) -> dict[str, Callable[[UUID], Page]]:
    """Each service's part of a page (`params`: `limit`, and `as_of` and `before` if any)."""

    def asker(url: str) -> Callable[[UUID], Page]:
        return lambda case_id: Page.from_json(_get(url, token, case_id, params, timeout))

    return {name: asker(url) for name, url in urls.items()}
