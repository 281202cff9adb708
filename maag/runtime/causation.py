"""Why each stored event happened: the inbound event or the HTTP request that caused it.

Every event a service stores carries `caused_by` (where a cause is known): the id, type
and source of the integration event a consumer was handling, or the method, path and
correlation id of the request. The audit timeline links each entry to its cause with it,
and the outbox publishes the causing event's id as the CloudEvents `causationid`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import NAMESPACE_URL, uuid5

ATTRIBUTE = "caused_by"
Cause = dict[str, str]

_current: ContextVar[Cause | None] = ContextVar("maag_cause", default=None)


def event_id(service: str, originator_id: Any, version: int) -> str:
    """The `ce_id` a service's outbox gives a stored event: stable, derived from the event."""
    return str(uuid5(NAMESPACE_URL, f"/maag/{service}/{originator_id}/{version}"))


def of_event(event_id: str, event_type: str, source: str) -> Cause:
    return {"event_id": event_id, "type": event_type, "source": source}


def of_request(method: str, path: str, correlation_id: str) -> Cause:
    return {"request": f"{method} {path}", "correlation_id": correlation_id}


def current() -> Cause | None:
    return _current.get()


@contextmanager
def caused_by(cause: Cause | None) -> Iterator[None]:
    token = _current.set(cause)
    try:
        yield
    finally:
        _current.reset(token)


def stamp(events: Iterable[Any], cause: Cause | None) -> None:
    """Give each event that has no cause yet `cause` (stored with the event's state).

    The one place the runtime reaches inside eventsourcing: its domain events are frozen
    dataclasses with no slot for metadata, and declaring `caused_by` on every event class
    would put it in every command method's signature. Its mapper stores an event's whole
    `__dict__` and restores it as it was, so an attribute set here is stored and read back;
    tests/unit/runtime/test_causation.py fails if that stops being so."""
    if cause is None:
        return
    for e in events:
        if ATTRIBUTE not in vars(e):
            object.__setattr__(e, ATTRIBUTE, dict(cause))


def of(domain_event: Any) -> Cause | None:
    found = vars(domain_event).get(ATTRIBUTE)
    return dict(found) if isinstance(found, dict) else None
