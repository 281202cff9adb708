"""A case's full timeline across the services, and its state as of a time.

Each service answers for its own part (from its own store, through its case index); the
replay merges the parts in time order. The parts come either from the services' audit
endpoints (the usual way: the auditor's read is then on record too) or, where the
services are down, straight from their stores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx

from maag.audit.state import CaseState, as_of
from maag.audit.timeline import Entry

Part = Callable[[UUID], list[Entry]]
SERVICE_ORDER = ("referral", "panel", "commissioning", "notifications")


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


def _order(entry: Entry) -> tuple[datetime, int, str, int]:
    rank = SERVICE_ORDER.index(entry.service) if entry.service in SERVICE_ORDER else 99
    return (entry.at, rank, entry.aggregate_id, entry.version)


def merge(case_id: UUID, entries: list[Entry], when: datetime | None = None) -> Replay:
    shown = sorted(
        (e for e in entries if when is None or e.at <= when),
        key=_order,
    )
    return Replay(case_id, when, shown, as_of(shown))


def replay(case_id: UUID, parts: Mapping[str, Part], when: datetime | None = None) -> Replay:
    return merge(case_id, [e for part in parts.values() for e in part(case_id)], when)


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
