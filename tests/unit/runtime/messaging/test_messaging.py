"""The two places the runtime adapts FastStream (see maag/runtime/messaging/broker.py), and the
library behaviour that makes each necessary: if FastStream changes, these say so."""

from __future__ import annotations

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka.message import KafkaAckableMessage
from faststream.kafka.parser import AioKafkaBatchParser

from maag.runtime.messaging import broker as messaging


def record(offset: int, value: bytes | None, headers: list[tuple[str, bytes]]) -> ConsumerRecord:
    return ConsumerRecord(
        topic="maag.referral.events",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value or b""),
        headers=tuple(headers),
    )


HOSTILE = (
    record(0, b'{"ok": true}', [("ce_id", b"1")]),
    record(1, b"\xff\xfe not json", [("ce_id", b"\xff\xfe"), ("ce_id", b"again")]),
    record(2, None, []),
)


async def test_faststreams_own_parser_fails_a_whole_batch_on_one_hostile_header() -> None:
    # Why the subscriber has a parser of its own. If this stops raising, FastStream reads
    # hostile headers safely and messaging._headerless may be simplified.
    parser = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)
    with pytest.raises(UnicodeDecodeError):
        await parser.parse_batch(HOSTILE)


async def test_the_subscriber_hands_the_handler_the_records_as_they_are_on_the_wire() -> None:
    parser = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)
    message = await messaging._headerless(HOSTILE, parser.parse_batch)
    assert message.raw_message is HOSTILE
    assert message.raw_message[1].headers == (("ce_id", b"\xff\xfe"), ("ce_id", b"again"))
    assert await messaging._no_body(message) == []


def test_faststreams_publish_takes_headers_as_a_dict_of_strings() -> None:
    # Why dead letters (original header bytes, repeated names) go through aiokafka directly.
    import inspect

    from faststream.kafka.broker.broker import KafkaBroker

    annotation = inspect.signature(KafkaBroker.publish).parameters["headers"].annotation
    assert "dict[str, str]" in str(annotation)
