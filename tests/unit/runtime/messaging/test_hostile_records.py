"""Fuzzing each service's real consumer path (decode, validate, handle) with arbitrary
bytes and headers: every record is applied, passed over as already seen, or dead-lettered
with a reason — `process` never raises. The services are built as they run (`build`), on
their SQLite store; no broker is needed because `process` is the whole batch logic."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from contracts.topics import EVENT_TYPES
from maag.runtime.messaging.consumer import TrackedConsumer
from services.referral.domain.referral import Rejection
from tests.support.built import build_all
from tests.support.events import envelope_headers
from tests.support.identity import local, someone

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
odd_bytes = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n),  # nesting past any recursion limit
    st.just(b'{"a": ' * 3000 + b"1" + b"}" * 3000),
    st.just(b"\xff\xfe\x00{"),
)
header_values = st.one_of(st.none(), st.binary(max_size=60), st.text(max_size=60).map(str.encode))
odd_headers = st.lists(
    st.tuples(
        st.sampled_from(
            ["ce_id", "ce_type", "ce_time", "ce_sequence", "ce_subject", "authorization", "x"]
        )
        | st.text(max_size=12),
        header_values,
    ),
    max_size=8,
)


@st.composite
def well_formed_events(draw: st.DrawFn, types: list[str]) -> tuple[list[tuple[str, bytes]], bytes]:
    """A valid envelope and a payload valid by its published schema: reaches the handlers."""
    type_name = draw(st.sampled_from(types))
    payload = draw(from_schema(EVENT_TYPES[type_name].model_json_schema()))
    assert isinstance(payload, dict)
    subject = str(payload.get("case_id", uuid.uuid4()))
    sequence = draw(st.integers(1, 10**9))
    return envelope_headers(type_name, subject, sequence), json.dumps(payload).encode()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return build_all(tmp_path_factory.mktemp)


def _run(consumer: TrackedConsumer, topic: str, records: list[tuple[Any, bytes | None]]) -> Any:
    offset = consumer.app.position(f"{topic}:0") or 0
    batch = [
        ConsumerRecord(topic, 0, offset + 1 + i, 0, 0, b"k", value, None, 1, 0, headers)
        for i, (headers, value) in enumerate(records)
    ]
    outcome = consumer.process(TopicPartition(topic, 0), batch)  # must not raise
    consumer.commit(outcome)
    assert all(d.reason for d in outcome.dead), "every dead letter says why"
    return batch, outcome


def _event_topics(consumer: TrackedConsumer) -> list[str]:
    return [t for t in consumer.subscriptions if not t.endswith("submissions")]


@pytest.mark.parametrize("name", ["referral", "panel", "commissioning", "notifications"])
@FUZZ
@given(data=st.data())
def test_no_bytes_or_headers_stop_an_event_consumer(
    built: dict[str, Any], name: str, data: st.DataObject
) -> None:
    consumer: TrackedConsumer = built[name].consumer
    topic = data.draw(st.sampled_from(_event_topics(consumer)))
    types = [t for t in EVENT_TYPES if t.split(".")[1] == topic.split(".")[1]]
    records = data.draw(
        st.lists(
            st.one_of(
                st.tuples(odd_headers, odd_bytes | st.none()),
                st.tuples(
                    st.sampled_from(types).map(lambda t: envelope_headers(t, "x", 1)), odd_bytes
                ),
                well_formed_events(types),
            ),
            min_size=1,
            max_size=4,
        )
    )
    batch, outcome = _run(consumer, topic, records)
    dead = {d.record.offset for d in outcome.dead}
    # A record that is not a well-formed MAAG event is always dead-lettered.
    for record in batch:
        if not any(k == "ce_sequence" for k, _ in record.headers):
            assert record.offset in dead


@FUZZ
@given(
    records=st.lists(
        st.tuples(
            odd_headers
            | st.just([("authorization", f"Bearer {local().token(someone())}".encode())])
            | st.just([("authorization", b"Bearer forged.token.here")]),
            odd_bytes | st.none(),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_every_odd_submission_is_dead_lettered_and_answered_with_a_rejection(
    built: dict[str, Any], records: list[tuple[Any, bytes | None]]
) -> None:
    consumer: TrackedConsumer = built["referral"].consumer
    (topic,) = [t for t in consumer.subscriptions if t.endswith("submissions")]
    batch, outcome = _run(consumer, topic, records)
    assert {d.record.offset for d in outcome.dead} == {r.offset for r in batch}
    rejections = [a for a in outcome.work.aggregates if isinstance(a, Rejection)]
    assert len(rejections) == len(batch), "the agency hears back about every record"
