"""A unit of work over a service's aggregates: what a batch (or one HTTP call) loads and
changes, committed in one transaction by the caller."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from typing_extensions import TypeVar as TypeVarWithDefault

from maag.runtime import causation
from maag.runtime.store.application import ServiceApplication

A = TypeVar("A", bound=Aggregate)
# The service's own application: a handler typed `Work[PanelApp]` reaches `work.app` typed.
S = TypeVarWithDefault("S", bound=ServiceApplication, default=ServiceApplication, covariant=True)


def fold(aggregate: Any, events: Iterable[Any]) -> Any:
    """An aggregate from its events: eventsourcing's `project_aggregate` without its check of
    each event against a runtime-checkable Protocol, which walks the event class's attributes
    every time (a tenth of a busy service's processor time, folding long meetings). Every
    event here was made by the store's mapper from a domain event class, so it can mutate."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class NotFound(Exception):
    """No such aggregate (HTTP 404)."""


class Conflict(Exception):
    """It changed while the request was handled (HTTP 409): retry."""


class Work(Generic[S]):
    """The unit of work of one batch: aggregates loaded or created, saved in one transaction."""

    def __init__(
        self,
        app: S,
        prefetched: Collection[UUID] = (),
        histories: Mapping[UUID, list[Any]] | None = None,
    ) -> None:
        self.app = app
        self._aggregates: dict[UUID, Aggregate] = {}
        self._prefetched = prefetched  # ids whose histories were read for the batch
        self._histories = histories or {}
        # ids found not to exist: asked again in this unit, not asked of the store again (a
        # batch of messages looks for the same absent budget or index once)
        self._absent: set[UUID] = set()
        self.dead_letter_reason: str | None = None
        self.touched: set[UUID] = set()  # ids got or added since the caller last cleared it
        # Set by a policy acting for someone: the metadata of the message's events.
        self.acting_for: dict[str, object] = {}
        self._effects: list[Callable[[], None]] = []

    def after_commit(self, effect: Callable[[], None]) -> None:
        """Do `effect` once what this unit of work recorded is committed (a key destroyed, an
        index relinked): never for a request refused or replayed, never before its record."""
        self._effects.append(effect)

    def run_effects(self) -> None:
        effects, self._effects = self._effects, []
        for effect in effects:
            effect()

    def dead_letter(self, reason: str) -> None:
        """Keep this delivery's changes and also send it to the dead-letter topic with `reason`
        (for a message that is answered, e.g. with a rejection event, but not applied)."""
        self.dead_letter_reason = reason

    def get(self, aggregate_id: UUID) -> Aggregate:
        self.touched.add(aggregate_id)
        if aggregate_id not in self._aggregates:
            if aggregate_id in self._absent:
                raise AggregateNotFoundError(aggregate_id)
            if aggregate_id in self._prefetched:
                history = self._histories.get(aggregate_id)
                if not history:
                    raise AggregateNotFoundError(aggregate_id)
                aggregate = fold(None, history)
                assert isinstance(aggregate, Aggregate)
                if self.app.kept is not None:
                    self.app.kept.keep(aggregate, history)
                self._aggregates[aggregate_id] = aggregate
            else:
                try:
                    self._aggregates[aggregate_id] = self._load(aggregate_id)
                except AggregateNotFoundError:
                    self._absent.add(aggregate_id)
                    raise
        return self._aggregates[aggregate_id]

    def _load(self, aggregate_id: UUID) -> Aggregate:
        kept = self.app.kept
        if kept is None:
            found: Aggregate = self.app.repository.get(aggregate_id, projector_func=fold)
            return found
        history = kept.history(aggregate_id)
        if not history:
            raise AggregateNotFoundError(aggregate_id)
        aggregate = fold(None, history)
        assert isinstance(aggregate, Aggregate)
        kept.keep(aggregate, history)
        return aggregate

    def get_as(self, aggregate_id: UUID, kind: type[A], what: str) -> A:
        """The aggregate, which must be a `kind`; NotFound naming `what` otherwise."""
        try:
            found = self.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}") from None
        if not isinstance(found, kind):
            raise NotFound(f"no {what} {aggregate_id}")
        return found

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            return self.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def add(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            self.touched.add(aggregate.id)
            self._aggregates[aggregate.id] = aggregate
            self._absent.discard(aggregate.id)

    def act_as(self, actor: causation.Actor, correlation_id: str | None = None) -> None:
        """The events of the message being handled are `actor`'s (whom the service acts
        for), not the service's own (and part of `correlation_id`, when given)."""
        self.acting_for = {causation.ACTOR: dict(actor)}
        if correlation_id is not None:
            self.acting_for[causation.CORRELATION] = correlation_id

    def give_touched(self, metadata: dict[str, object]) -> None:
        """Give the new events of the aggregates touched since the last call `metadata`
        (with what a policy acting for someone named instead)."""
        values = {**metadata, **self.acting_for}
        for aggregate_id in self.touched:
            found = self._aggregates.get(aggregate_id)
            if found is not None:
                causation.give(found.pending_events, values)
        self.touched.clear()
        self.acting_for = {}

    @property
    def aggregates(self) -> list[Aggregate]:
        return list(self._aggregates.values())

    def commit(self) -> None:
        """Save what this unit of work changed, in one transaction (outside a consumer)."""
        if self._aggregates:
            self.app.commit_unit(self.aggregates)
