"""What a service does with each class of event it stores: publish it, or keep it inside.

Each service declares this once (beside its outbox translator). The classes it must cover
are not listed by hand: they are found by walking the service's modules for aggregates
and each aggregate for the events it can record, so an aggregate or event added later
without a decision stops the service at start (and fails the unit test that walks every
service) rather than blocking its outbox in production at the first such event.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate

from maag.runtime.evidence.reads import CaseRead
from maag.runtime.store.idempotency import Done
from maag.runtime.store.incarnation import Incarnations

# Events the runtime itself stores in every service (audited reads, keyed requests done, the
# store's incarnations): never published.
RUNTIME_INTERNAL: tuple[type, ...] = (
    CaseRead.Recorded,
    Done.Recorded,
    Incarnations.Created,
    Incarnations.Begun,
)
RUNTIME_PACKAGE = "maag.runtime"


class Unclassified(TypeError):
    """A stored event whose class the service neither publishes nor keeps internal."""

    def __init__(self, event_class: type) -> None:
        super().__init__(
            f"{event_class.__qualname__} is neither published nor internal: classify it in "
            "the service's outbox (adapters/translate.py)"
        )
        self.event_class = event_class


@dataclass(frozen=True)
class EventClasses:
    """A service's decision for each class of event it stores."""

    published: tuple[type, ...]
    internal: tuple[type, ...]

    def __post_init__(self) -> None:
        both = set(self.published) & set(self.internal)
        if both:
            raise ValueError(f"both published and internal: {_names(both)}")

    def publishes(self, domain_event: object) -> bool:
        """Whether the outbox publishes this event; `Unclassified` when nobody decided."""
        if isinstance(domain_event, self.internal + RUNTIME_INTERNAL):
            return False
        if isinstance(domain_event, self.published):
            return True
        raise Unclassified(type(domain_event))

    def missing(self, package: str) -> list[str]:
        """The event classes that the aggregates of `package` (and the runtime's, which
        every service stores) can record and that this declaration does not cover."""
        known = {*self.published, *self.internal, *RUNTIME_INTERNAL}
        found = recorded_classes(package) | recorded_classes(RUNTIME_PACKAGE)
        return _names(found - known)

    def check(self, package: str) -> None:
        """Refuse to run a service that stores events it has not classified."""
        if missing := self.missing(package):
            raise ValueError(
                f"{package}: event classes neither published nor internal: {', '.join(missing)}"
            )


def recorded_classes(package: str) -> set[type]:
    """Every event class that an aggregate defined in `package` can record."""
    return {
        event_class for aggregate in aggregates(package) for event_class in events_of(aggregate)
    }


def aggregates(package: str) -> set[type]:
    return {
        value
        for module in _modules(package)
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseAggregate)
        and value.__module__ == module.__name__
    }


def events_of(aggregate: type) -> set[type]:
    """The aggregate's event classes: each one it declares (`@event` methods name theirs on
    the class too), without its base `Event`. The library also defines a `Created` on every
    aggregate; it is recorded only where the aggregate declares no other created event."""
    declared = {
        name: value
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate) and name != "Event"
    }
    if sum(issubclass(v, CanInitAggregate) for v in declared.values()) > 1:
        declared.pop("Created", None)
    return set(declared.values())


def _modules(package: str) -> Iterator[ModuleType]:
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), f"{package}."):
        yield importlib.import_module(info.name)


def _names(classes: set[type]) -> list[str]:
    return sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
