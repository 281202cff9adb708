"""The AsyncAPI document is FastStream's, generated from what the services declare, with
the envelope's headers and the topics' limits added: the checked-in copy is exactly that."""

from __future__ import annotations

from typing import Any

import yaml

from contracts.export import CHECKED_IN
from contracts.topics import ALL_TOPICS
from maag.ops.asyncapi import rendered
from maag.services import SPECS


def _doc() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHECKED_IN / "asyncapi.yaml").read_text())
    return loaded


def test_the_checked_in_document_is_what_faststream_generates() -> None:
    assert (CHECKED_IN / "asyncapi.yaml").read_text() == rendered(), (
        "run `maag contracts export contracts` to refresh contracts/asyncapi.yaml"
    )


def test_it_names_every_topic_with_its_limits_headers_key_and_schemas() -> None:
    doc = _doc()
    assert doc["asyncapi"] == "3.0.0"
    by_address: dict[str, list[dict[str, Any]]] = {}
    for channel in doc["channels"].values():
        by_address.setdefault(channel["address"], []).append(channel)
    # Every topic a service reads or writes (the notifications' own events go to agencies).
    used = {t.name for s in SPECS.values() for t in (*s.consumes, *s.publishes)}
    assert set(by_address) == used
    for topic in (t for t in ALL_TOPICS if t.name in used):
        for channel in by_address[topic.name]:
            config = channel["bindings"]["kafka"]["topicConfiguration"]
            assert config["max.message.bytes"] == topic.max_message_bytes
    for message in doc["components"]["messages"].values():
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        assert message["headers"]["required"]
        assert message["x-maag-schemas"]
        for path in message["x-maag-schemas"].values():
            assert (CHECKED_IN / path).exists()


def test_each_service_is_documented_receiving_what_it_consumes_and_sending_its_events() -> None:
    doc = _doc()
    operations = doc["operations"].values()
    for spec in SPECS.values():
        received = {
            doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"]
            for op in operations
            if op["action"] == "receive"
            and op["channel"]["$ref"].rsplit("/", 1)[1].startswith(f"{spec.name}:")
        }
        assert received == {t.name for t in spec.consumes}, spec.name
        sent = {
            doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"]
            for op in operations
            if op["action"] == "send" and op["channel"]["$ref"].endswith(f":{spec.name}")
        }
        assert sent == {t.name for t in spec.publishes}, spec.name
