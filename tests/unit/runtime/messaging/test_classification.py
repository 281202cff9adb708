"""Every class of event a service stores is published or internal, found by walking its
aggregates, in every service (and in one added later); and a class nobody decided stops the
service at start and names itself."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from maag.runtime.messaging.classification import (
    RUNTIME_INTERNAL,
    EventClasses,
    Unclassified,
    events_of,
    recorded_classes,
)
from maag.services import SPECS
from services.referral.domain.notes import CaseNote


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_event_class_of_every_service_is_published_or_internal(name: str) -> None:
    spec = SPECS[name]
    outbox = importlib.import_module(f"{spec.package}.adapters.translate")
    classes: EventClasses = outbox.CLASSES
    assert classes.missing(spec.package) == []
    # the walk found the service's own aggregates, not only the runtime's
    assert recorded_classes(spec.package) - set(RUNTIME_INTERNAL)


def test_case_notes_are_kept_in_the_referral_service() -> None:
    """They blocked the relay once (neither published nor internal)."""
    from services.referral.adapters.translate import CLASSES

    assert {CaseNote.Written, CaseNote.Superseded} <= recorded_classes("services.referral")
    assert not CLASSES.publishes(CaseNote.Superseded.__new__(CaseNote.Superseded))


def test_an_aggregate_added_later_is_found_and_refused_until_classified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "later_service"
    (package / "domain").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "domain" / "__init__.py").write_text("")
    (package / "domain" / "visit.py").write_text(
        textwrap.dedent(
            """
            from eventsourcing.domain import Aggregate, event

            class Visit(Aggregate):
                class Booked(Aggregate.Created):
                    where: str

                @event(Booked)
                def __init__(self, where: str) -> None:
                    self.where = where

                @event("Cancelled")
                def cancel(self, reason: str) -> None:
                    pass

            class Note(Aggregate):  # the library's own Created, the only created event
                def __init__(self, text: str) -> None:
                    self.text = text
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = {c.__qualname__ for c in recorded_classes("later_service")}
        assert found == {"Visit.Booked", "Visit.Cancelled", "Note.Created"}
        visit = sys.modules["later_service.domain.visit"]
        partial = EventClasses(published=(visit.Visit.Booked,), internal=(visit.Note.Created,))
        assert partial.missing("later_service") == ["later_service.domain.visit.Visit.Cancelled"]
        with pytest.raises(ValueError, match=r"Visit\.Cancelled"):
            partial.check("later_service")
        whole = EventClasses(
            published=(visit.Visit.Booked,), internal=(visit.Visit.Cancelled, visit.Note.Created)
        )
        whole.check("later_service")
    finally:
        for module in [m for m in sys.modules if m.startswith("later_service")]:
            del sys.modules[module]


def test_an_event_of_no_declared_class_is_named_when_met() -> None:
    with pytest.raises(Unclassified, match=r"CaseNote\.Written is neither published nor internal"):
        EventClasses(published=(), internal=()).publishes(
            CaseNote.Written.__new__(CaseNote.Written)
        )


def test_a_class_cannot_be_both() -> None:
    with pytest.raises(ValueError, match="both published and internal"):
        EventClasses(published=(CaseNote.Written,), internal=(CaseNote.Written,))


def test_the_library_created_event_is_left_out_where_another_creates() -> None:
    assert CaseNote.Created not in events_of(CaseNote)
