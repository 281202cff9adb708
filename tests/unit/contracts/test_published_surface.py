"""The checked-in schemas and AsyncAPI are current, compatible, and carry no personal data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.export import CHECKED_IN, check_compatible, export, rendered
from contracts.topics import EVENT_TOPICS, REFERRAL_SUBMISSIONS

CHILD_FIELDS = {"child", "given_name", "family_name", "date_of_birth", "address", "dob"}


def test_checked_in_files_are_not_stale() -> None:
    stale = [
        rel
        for rel, text in rendered().items()
        if not (CHECKED_IN / rel).exists() or (CHECKED_IN / rel).read_text() != text
    ]
    assert stale == [], f"run `maag contracts export contracts` to refresh: {stale}"


def test_current_models_are_backward_compatible_with_the_published_schemas() -> None:
    assert check_compatible(CHECKED_IN) == []


def test_export_refuses_to_overwrite_a_published_schema_with_a_breaking_change(
    tmp_path: Path,
) -> None:
    export(tmp_path)
    published = tmp_path / "schemas" / "maag.referral.ConsentRecorded.v1.json"
    schema = json.loads(published.read_text())
    schema["properties"]["channel"] = {"type": "string"}  # a field the current model lacks
    published.write_text(json.dumps(schema))
    try:
        export(tmp_path)
    except Exception as e:
        assert "maag.referral.ConsentRecorded.v1: field channel: removed or renamed" in str(e)
    else:
        raise AssertionError("export overwrote a published schema with a breaking change")


def _property_names(node: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        names |= set(node.get("properties", {}))
        for value in node.values():
            names |= _property_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= _property_names(value)
    return names


def test_shared_event_topics_carry_no_child_personal_data() -> None:
    for topic in EVENT_TOPICS:
        for model in topic.messages:
            leaked = _property_names(model.model_json_schema()) & CHILD_FIELDS
            assert leaked == set(), f"{model.__name__} on {topic.name} carries {leaked}"
    # ...and the one topic that must carry it is the referral service's alone, short-lived.
    assert _property_names(REFERRAL_SUBMISSIONS.messages[0].model_json_schema()) & CHILD_FIELDS
    assert REFERRAL_SUBMISSIONS.retention_ms > 0


def test_event_topics_keep_everything_and_dead_letters_sit_beside_them() -> None:
    for topic in EVENT_TOPICS:
        assert topic.retention_ms == -1, "event topics keep everything"
        assert topic.dead_letters.name == topic.name + ".dlq"
