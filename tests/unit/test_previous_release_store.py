"""A store written by the previous release is read by this one: every stored event decodes
(its topic resolves, though the module it names may have moved; an attribute whose form
changed is upcast) and every aggregate replays from its events to its last version.

`tests/data/store-<commit>.jsonl.gz` holds each service's events table, exactly as stored
(encrypted, compressed), at the end of the end-to-end tests that write every route and
decision kind (`test_every_write`, `test_demo`, `test_child_and_plan`,
`test_commissioning_failure`, `test_panel_review`) run on that commit's code; each row
carries the run's throwaway cipher key. To make the next release's: run those tests with
`MAAG_TEST_DUMP_STORE=<file>` (`tests.support.system.System.stop`) and gzip the file."""

from __future__ import annotations

import base64
import gzip
import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from tests.support.built import build_all

STORE = Path(__file__).parents[1] / "data" / "store-3bb7d6d.jsonl.gz"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    with gzip.open(STORE, "rt") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def built(rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Any:
    services = build_all(lambda name: tmp_path_factory.mktemp(name), rows[0]["cipher_key"])
    yield services
    for service in services.values():
        service.app.close()


def test_every_stored_event_decodes_and_every_aggregate_replays(
    rows: list[dict[str, Any]], built: dict[str, Any]
) -> None:
    # one test's system is one store: the same meeting's id recurs in another's
    histories: dict[tuple[str, str, UUID], list[Any]] = defaultdict(list)
    for row in rows:
        stored = StoredEvent(
            originator_id=UUID(row["originator_id"]),
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=base64.b64decode(row["state"]),
        )
        event = built[row["service"]].app.mapper.to_domain_event(stored)
        histories[(row["store"], row["service"], UUID(row["originator_id"]))].append(event)
    for (_, service, originator_id), events in histories.items():
        events.sort(key=lambda e: e.originator_version)
        assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
        aggregate = None
        for event in events:
            aggregate = event.mutate(aggregate)
        assert aggregate is not None and aggregate.version == len(events), (service, originator_id)


def test_the_store_holds_what_each_service_records(rows: list[dict[str, Any]]) -> None:
    # The test above is only as good as the store: it holds every back-end service's events,
    # of many kinds, including the runtime's own under their modules' old names.
    topics = {row["topic"] for row in rows}
    assert {row["service"] for row in rows} == {
        "referral",
        "panel",
        "commissioning",
        "notifications",
    }
    assert len(topics) >= 40
    assert any(t.startswith("maag.runtime.incarnation:") for t in topics)
    assert any(t.startswith("maag.runtime.reads:") for t in topics)
