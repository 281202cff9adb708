"""A translator that prepares (`Prepares`) is given each batch's published events before it
translates them; the relay still blocks at the first event it cannot publish, in log order,
whether that event does not translate or one after it does not decode."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from maag.runtime.messaging.outbox import Outbound, OutboxBlocked, OutboxRelay
from maag.runtime.settings import Settings
from tests.support.pipeline import CLASSES, POISON_CAF, FakeProducer, IntakeApp, translate


class Preparing:
    def __init__(self) -> None:
        self.prepared: list[list[str]] = []

    def prepare(self, domain_events: Sequence[Any]) -> None:
        self.prepared.append([e.caf_reference for e in domain_events])

    def __call__(self, domain_event: Any) -> Outbound | None:
        if getattr(domain_event, "caf_reference", None) == POISON_CAF:
            raise ValueError("1 validation error for ReferralReceived")
        return translate(domain_event)


def test_each_batch_is_prepared_once_with_its_published_events(tmp_path: Path) -> None:
    app = IntakeApp(Settings(data_dir=tmp_path))
    app.receive([(uuid.uuid4(), "CAF-2026-0001"), (uuid.uuid4(), "CAF-2026-0002")])
    translator = Preparing()
    _, publications = OutboxRelay(
        app, CLASSES, translator, FakeProducer(), source="prep-a"
    ).pending(0)
    assert translator.prepared == [["CAF-2026-0001", "CAF-2026-0002"]]
    assert len(publications) == 2


def test_an_untranslatable_event_blocks_before_an_undecodable_one_after_it(
    tmp_path: Path,
) -> None:
    app = IntakeApp(Settings(data_dir=tmp_path))
    app.receive([(uuid.uuid4(), "CAF-2026-0003")])
    app.receive([(uuid.uuid4(), POISON_CAF)])
    app.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "tests.gone:Vanished", b"{}")])
    relay = OutboxRelay(app, CLASSES, Preparing(), FakeProducer(), source="prep-b")
    with pytest.raises(OutboxBlocked) as blocked:
        relay.pending(0)
    assert blocked.value.position == 2 and "does not translate" in blocked.value.reason


def test_an_undecodable_event_blocks_once_those_before_it_translate(tmp_path: Path) -> None:
    app = IntakeApp(Settings(data_dir=tmp_path))
    app.receive([(uuid.uuid4(), "CAF-2026-0004")])
    app.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "tests.gone:Vanished", b"{}")])
    translator = Preparing()
    relay = OutboxRelay(app, CLASSES, translator, FakeProducer(), source="prep-c")
    with pytest.raises(OutboxBlocked) as blocked:
        relay.pending(0)
    assert blocked.value.position == 2 and "does not decode" in blocked.value.reason
    assert translator.prepared == [["CAF-2026-0004"]]
