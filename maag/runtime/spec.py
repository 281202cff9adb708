"""What a service is, declared once beside its code: its name, its local port, the topics
it consumes (what it publishes follows from the topic registry) and what it contributes
to a case's audit timeline. `maag.services` lists the specs; `build()`, the settings, the
supervisor, `maag deploy render` and the audit all read them from there."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class AuditSpec:
    """A service's part in the audit: what its events change in a case's state, which of
    their fields never leave the service (replaced by the text given), and which attributes
    name other aggregates (a meeting) whose events belong in the case's timeline."""

    effects: Mapping[type, Effect] = field(default_factory=dict)
    withheld: Mapping[str, str] = field(default_factory=dict)
    follow: tuple[str, ...] = ()

    def effect(self, domain_event: Any) -> Change:
        found = self.effects.get(type(domain_event))
        return found(domain_event) if found is not None else NO_CHANGE


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int  # its HTTP port when run locally (`maag run`); in Kubernetes every one uses 8000
    consumes: tuple[TopicSpec, ...]
    audit: AuditSpec = field(default_factory=AuditSpec)
    # Event topics it reads from the beginning outside its consumer group, into projections
    # it can rebuild from them (the boards' report): read access, no group.
    reads: tuple[TopicSpec, ...] = ()

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
    def publishes(self) -> tuple[TopicSpec, ...]:
        """Its own event topics, the dead-letter topics of what it consumes, and its chain's
        anchors."""
        return (*self.events, *(t.dead_letters for t in self.consumes), CHAIN_ANCHORS)
