from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from contracts.envelope import Envelope, EnvelopeError, decode
from contracts.events import Actor
from contracts.events.referral import ConsentRecorded
from contracts.reference import Agency, Role

ACTOR = Actor(user_id="u-1", role=Role.REFERRER, agency="education")


def _event() -> ConsentRecorded:
    return ConsentRecorded(
        case_id=uuid4(),
        occurred_at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        actor=ACTOR,
        given_by="parent-carer",  # type: ignore[arg-type]
        scope=[Agency.EDUCATION, Agency.CAMHS],
        given_on=datetime(2026, 11, 27).date(),
        how_obtained="in person at school",
    )


def _record(
    event: ConsentRecorded, **override: str | None
) -> tuple[list[tuple[str, bytes]], bytes]:
    env = Envelope(
        id="evt-1",
        source="/maag/referral",
        type=event.TYPE,
        time=event.occurred_at,
        subject=str(event.case_id),
        correlation_id="corr-1",
        causation_id=None,
        actor=ACTOR,
        sequence=42,
    )
    headers = dict(env.headers())
    for k, v in override.items():
        if v is None:
            headers.pop(k, None)
        else:
            headers[k] = v.encode()
    return list(headers.items()), event.model_dump_json().encode()


def test_round_trip_through_cloudevents_binary_headers() -> None:
    event = _event()
    headers, value = _record(event)
    names = dict(headers)
    assert names["ce_specversion"] == b"1.0"
    assert names["ce_subject"] == str(event.case_id).encode()
    assert names["ce_sequence"] == b"00000000000000000042"
    envelope, decoded = decode(headers, value)
    assert decoded == event
    assert (envelope.sequence, envelope.correlation_id, envelope.actor) == (42, "corr-1", ACTOR)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"ce_type": None}, "header ce_type: missing"),
        ({"ce_type": "maag.x.Unknown.v9"}, "unknown event type 'maag.x.Unknown.v9'"),
        ({"ce_time": "yesterday"}, "header ce_time: not an RFC 3339 time"),
        ({"ce_time": "2026-11-27T09:30:00"}, "header ce_time: has no UTC offset"),
        ({"ce_actorrole": "king"}, "header ce_actor*: role:"),
        ({"ce_sequence": "-1"}, "header ce_sequence: must be 20 digits"),
        ({"ce_sequence": "42"}, "header ce_sequence: must be 20 digits"),
        ({"ce_incarnation": "0"}, "header ce_incarnation: must be 1 to 9 digits, not starting 0"),
        (
            {"ce_incarnation": "\u0661"},
            "header ce_incarnation: must be 1 to 9 digits, not starting 0",
        ),
        ({"ce_subject": "someone-else"}, "differs from case_id"),
    ],
)
def test_a_bad_envelope_is_refused_naming_the_header(
    override: dict[str, str | None], message: str
) -> None:
    headers, value = _record(_event(), **override)
    with pytest.raises(EnvelopeError) as info:
        decode(headers, value)
    assert message in str(info.value)


def test_a_bad_payload_is_refused_naming_the_field() -> None:
    event = _event()
    headers, value = _record(event)
    payload = json.loads(value)
    payload["scope"] = ["the-moon"]
    with pytest.raises(EnvelopeError, match=r"value: scope\.0: Input should be"):
        decode(headers, json.dumps(payload).encode())
    with pytest.raises(EnvelopeError, match=r"value: .*Invalid JSON"):
        decode(headers, b"{not json")


def test_unknown_payload_fields_are_ignored_so_producers_can_add_optional_ones() -> None:
    event = _event()
    headers, value = _record(event)
    payload = {**json.loads(value), "added_later": "fine"}
    assert decode(headers, json.dumps(payload).encode())[1] == event
