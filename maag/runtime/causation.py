"""Each stored event's metadata: why it happened, who did it, and the correlation id of
the work it belongs to. The runtime gives them from what is being handled (the HTTP
request and its caller, or the inbound event a consumer applies); domain methods never
take them as parameters.

- `caused_by`: the id, type and source of the integration event a consumer was handling,
  or the method, path and correlation id of the request. The audit timeline links each
  entry to its cause with it, and the outbox publishes the causing event's id as the
  CloudEvents `causationid`.
- `actor`: who (user id, role, agency). None for what a service does on its own (on an
  inbound event, on a schedule): its translators publish those as the service itself.
- `correlation_id`: what the request or inbound event carried.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import NAMESPACE_URL, uuid5

ATTRIBUTE = "caused_by"
ACTOR = "actor"
CORRELATION = "correlation_id"
Cause = dict[str, str]
Actor = dict[str, str]

_current: ContextVar[Cause | None] = ContextVar("maag_cause", default=None)
_acting: ContextVar[tuple[Actor, str] | None] = ContextVar("maag_acting", default=None)


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


@contextmanager
def acting(actor: Mapping[str, str], correlation_id: str) -> Iterator[None]:
    """Events stored inside the block are `actor`'s, part of `correlation_id`."""
    token = _acting.set((dict(actor), correlation_id))
    try:
        yield
    finally:
        _acting.reset(token)


def current_metadata() -> dict[str, Any]:
    """What events stored now are given: their cause, actor and correlation id (as known)."""
    found: dict[str, Any] = {}
    if (cause := _current.get()) is not None:
        found[ATTRIBUTE] = dict(cause)
    if (acting_now := _acting.get()) is not None:
        found[ACTOR], found[CORRELATION] = dict(acting_now[0]), acting_now[1]
    return found


def give(events: Iterable[Any], values: Mapping[str, Any] | None = None) -> None:
    """Give each event the metadata it has not got yet (`values`, default the current),
    stored with the event's state.

    It reaches inside eventsourcing (docs/architecture.md lists each such place): its events are frozen
    dataclasses with no slot for metadata, and declaring these fields on every event class
    would put them in every command method's signature. Its mapper stores an event's whole
    `__dict__` and restores it as it was, so an attribute set here is stored and read back;
    tests/unit/runtime/test_causation.py fails if that stops being so."""
    values = current_metadata() if values is None else values
    if not values:
        return
    for e in events:
        state = vars(e)
        for name, value in values.items():
            if name not in state:
                object.__setattr__(e, name, value)


def actor_of(domain_event: Any) -> Actor | None:
    found = vars(domain_event).get(ACTOR)
    return dict(found) if isinstance(found, dict) else None


def correlation_of(domain_event: Any) -> str:
    """The event's correlation id; for one stored without, the id of what it happened to."""
    found = vars(domain_event).get(CORRELATION)
    return str(found) if found else str(domain_event.originator_id)


def of(domain_event: Any) -> Cause | None:
    found = vars(domain_event).get(ATTRIBUTE)
    return dict(found) if isinstance(found, dict) else None
