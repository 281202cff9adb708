"""What a service is, declared once beside its code: its name, its local port, the topics
it consumes (what it publishes follows from the topic registry) and what it contributes
to a case's audit timeline. `maag.services` lists the specs; `build()`, the settings, the
supervisor, `maag deploy render` and the audit all read them from there."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.classification import DataClass, classes_of
from contracts.topics import CHAIN_ANCHORS, EVENT_TOPICS, TopicSpec


@dataclass(frozen=True)
class Change:
    """What one stored event does to a case's state as an auditor sees it (see
    `maag.runtime.evidence.timeline.CaseState`): fields set, counters counted, packages active."""

    set: Mapping[str, Any] = field(default_factory=dict)
    count: tuple[str, ...] = ()
    package: tuple[str, Mapping[str, Any]] | None = None  # (package id, what it is) now active
    ended_package: str | None = None  # a package id no longer active

    def to_json(self) -> dict[str, Any]:
        return {
            "set": dict(self.set),
            "count": list(self.count),
            "package": [self.package[0], dict(self.package[1])] if self.package else None,
            "ended_package": self.ended_package,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Change:
        if not data:
            return NO_CHANGE
        package = data.get("package")
        return cls(
            set=dict(data.get("set") or {}),
            count=tuple(data.get("count") or ()),
            package=(str(package[0]), dict(package[1])) if package else None,
            ended_package=data.get("ended_package"),
        )


NO_CHANGE = Change()

# A stored event of the service -> what it changes in the case's state.
Effect = Callable[[Any], Change]


# What the event-sourcing library and the runtime (`maag.runtime.causation`) give every
# stored event, beside the attributes its class declares.
GIVEN_TO_EVERY_EVENT: Mapping[str, DataClass] = {
    "originator_id": DataClass.OPERATIONAL,
    "originator_version": DataClass.OPERATIONAL,
    "originator_topic": DataClass.OPERATIONAL,
    "timestamp": DataClass.OPERATIONAL,
    "caused_by": DataClass.OPERATIONAL,
    "correlation_id": DataClass.OPERATIONAL,
    "actor": DataClass.THIRD_PARTY,  # a professional's user id, with their role and agency
}


def stored_classes(event_class: type) -> Mapping[str, DataClass]:
    """The class of each attribute a stored event of `event_class` has: as its class
    declares them (`contracts.classification`), and those every event is given."""
    found = _STORED.get(event_class)
    if found is None:  # read once per class: the replay describes many events
        found = _STORED[event_class] = {**GIVEN_TO_EVERY_EVENT, **classes_of(event_class)}
    return found


_STORED: dict[type, Mapping[str, DataClass]] = {}


@dataclass(frozen=True)
class AuditSpec:
    """A service's part in the audit: what its events change in a case's state, and which
    attributes name other aggregates (a meeting) whose events belong in the case's timeline.

    What never leaves the service follows from each attribute's declared class: identifying
    and special-category values are withheld from the timeline. `withheld_as` words what
    stands in their place where more can be said than the class (`[withheld: <class>]`
    otherwise), and names those withheld even from someone who may read the child (the
    case's chronology): the child's sealed details, which they read decrypted elsewhere."""

    effects: Mapping[type, Effect] = field(default_factory=dict)
    withheld_as: Mapping[str, str] = field(default_factory=dict)
    follow: tuple[str, ...] = ()

    def effect(self, domain_event: Any) -> Change:
        found = self.effects.get(type(domain_event))
        return found(domain_event) if found is not None else NO_CHANGE

    def withheld(
        self, name: str, data_class: DataClass | None, *, to_reader: bool = False
    ) -> str | None:
        """What stands in an attribute's place in the timeline (`to_reader`: as shown to
        someone who may read the child); None when it is shown."""
        if data_class is None or not data_class.withheld:
            return None
        if to_reader and name not in self.withheld_as:
            return None
        return self.withheld_as.get(name, f"[withheld: {data_class.value}]")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int  # its HTTP port when run locally (`maag run`); in Kubernetes every one uses 8000
    consumes: tuple[TopicSpec, ...]
    audit: AuditSpec = field(default_factory=AuditSpec)
    # Event topics it reads from the beginning outside its consumer group, into projections
    # it can rebuild from them (the boards' report): read access, no group.
    reads: tuple[TopicSpec, ...] = ()
    # Topics its relay writes beside its event topics, each for one audience and read by no
    # service (the agencies' own outcomes): write access, no consumer, no dead letters.
    tells: tuple[TopicSpec, ...] = ()

    @property
    def package(self) -> str:
        """Where its code is (domain, application, adapters)."""
        return f"services.{self.name}"

    @property
    def module(self) -> str:
        """Where its `main(settings)` and `build(settings)` are."""
        return f"{self.package}.service"

    @property
    def group_id(self) -> str:
        return f"maag.{self.name}"

    @property
    def events(self) -> tuple[TopicSpec, ...]:
        """The event topics it owns (writes)."""
        return tuple(t for t in EVENT_TOPICS if t.owner == self.name)

    @property
    def relays(self) -> tuple[TopicSpec, ...]:
        """Where its outbox relay writes: its event topics and the topics it tells."""
        return (*self.events, *self.tells)

    @property
    def publishes(self) -> tuple[TopicSpec, ...]:
        """Its own event topics, the topics it tells, the dead-letter topics of what it
        consumes, and its chain's anchors."""
        return (*self.relays, *(t.dead_letters for t in self.consumes), CHAIN_ANCHORS)
