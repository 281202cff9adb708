"""Writes the published surface: a JSON Schema per message and an AsyncAPI 3.0 document.

`maag contracts export DIR` calls `export`; the checked-in copy lives in `contracts/`
(`schemas/*.json`, `asyncapi.yaml`). Export refuses to overwrite a published schema with
a breaking change: a breaking change is a new versioned type, never an edit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from contracts.compatibility import breaking_changes
from contracts.envelope import CONTENT_TYPE
from contracts.limits import EVENT_MESSAGE_BYTES, KIB, SUBMISSION_MESSAGE_BYTES
from contracts.topics import ALL_TOPICS, TopicSpec

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
SCHEMA_BASE = "https://schemas.maag.example/"
CHECKED_IN = Path(__file__).parent


class BreakingChange(RuntimeError):
    pass


def _message_types() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for topic in ALL_TOPICS:
        for msg in topic.messages:
            seen[msg.TYPE] = msg  # type: ignore[attr-defined]
    return list(seen.values())


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema (draft 2020-12), one per message type."""
    out = {}
    for model in _message_types():
        type_name: str = model.TYPE  # type: ignore[attr-defined]
        schema = model.model_json_schema(mode="validation")
        out[f"{type_name}.json"] = {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"{SCHEMA_BASE}{type_name}.json",
            **schema,
        }
    return out


_CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "ce_correlationid",
        "ce_actoruserid",
        "ce_actorrole",
        "ce_actoragency",
    ],
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "description": "Unique per event; a republish repeats it."},
        "ce_source": {
            "type": "string",
            "description": "The producing service, e.g. /maag/referral.",
        },
        "ce_type": {"type": "string", "description": "The versioned event type."},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "The case id (also the Kafka key)."},
        "ce_correlationid": {"type": "string"},
        "ce_causationid": {"type": "string"},
        "ce_actoruserid": {"type": "string"},
        "ce_actorrole": {"type": "string"},
        "ce_actoragency": {"type": "string"},
        "ce_sequence": {
            "type": "string",
            "pattern": "^[0-9]{20}$",
            "description": "The producer's position; increases within a partition except on republish.",
        },
        "content-type": {"const": CONTENT_TYPE},
    },
}


_SUBMISSION_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": ["authorization"],
    "properties": {
        "authorization": {
            "type": "string",
            "pattern": "^Bearer .+$",
            "description": "The submitting professional's token (claims sub, role=referrer, agency); "
            "the agency must be the referring_agency.",
        }
    },
}


LIMITS_DOC = (
    "Limits. Every string and list in every schema has a maximum (maxLength, maxItems), and "
    "every topic a largest record, its max.message.bytes (value, key and headers together; "
    f"submissions {SUBMISSION_MESSAGE_BYTES // KIB} KiB, events {EVENT_MESSAGE_BYTES // KIB} KiB). "
    "A record over it is dead-lettered unread. Messages are validated strictly, as their JSON "
    "Schema reads them: no string for a boolean or a number, times in RFC 3339 with an offset. "
    "A field marked x-maag-not-in-future (a date of birth, the date consent was given) must not "
    "be after today. The v1 schemas gained their maximums on 2026-11-27, before the first "
    "production deployment; they are far above any real case (a CAF assessment has about a "
    "dozen domains of need), so no business message is refused by them."
)
CORRELATION_DOC = (
    "Following a submission. The referral service answers every record on "
    "maag.referral.submissions on maag.referral.events: ReferralReceived (then the triage "
    "outcome) or ReferralRejected, whose problems name each field and the reason. Both carry "
    "the header ce_correlationid equal to the submission's submission_id (ReferralRejected "
    "also has it in its body, with the source partition and offset, when the submission had a "
    "readable one). A resend with the same submission_id is answered from the first: it never "
    "makes a second case."
)


def _channel_id(topic: TopicSpec) -> str:
    parts = topic.name.split(".")[1:]
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in ALL_TOPICS:
        cid = _channel_id(topic)
        refs = {}
        for model in topic.messages:
            type_name: str = model.TYPE  # type: ignore[attr-defined]
            mid = type_name.removeprefix("maag.").replace(".", "_")
            messages[mid] = {
                "name": type_name,
                "title": model.__name__,
                "summary": (model.__doc__ or model.__name__).strip().splitlines()[0],
                "contentType": CONTENT_TYPE,
                "headers": _CE_HEADERS if topic.key == "case_id" else _SUBMISSION_HEADERS,
                "payload": {
                    "schemaFormat": SCHEMA_FORMAT,
                    "schema": {"$ref": f"schemas/{type_name}.json"},
                },
                "bindings": {
                    "kafka": {
                        "key": {"type": "string", "description": f"The {topic.key}."},
                        "bindingVersion": "0.5.0",
                    }
                },
            }
            refs[mid] = {"$ref": f"#/components/messages/{mid}"}
        is_dlq = topic.name.endswith(".dlq")
        channels[cid] = {
            "address": topic.name,
            "description": topic.description
            + (
                " Headers: the original's, plus dlq_error, dlq_consumer, dlq_topic, dlq_partition, "
                "dlq_offset, and dlq_removed_headers naming any credential header taken out "
                "(authorization, cookies, keys, tokens: a dead letter never holds a credential); "
                "the value is the original bytes, or none (dlq_value_bytes says how many) when the "
                "original was over the topic's max.message.bytes."
                + (
                    " It holds the same personal data as the submissions it copies and is kept "
                    "for the same time."
                    if topic.owner == "referral" and "submissions" in topic.name
                    else ""
                )
                if is_dlq
                else ""
            ),
            "messages": refs,
            "bindings": {
                "kafka": {
                    "topic": topic.name,
                    "partitions": topic.partitions,
                    "topicConfiguration": {
                        "retention.ms": topic.retention_ms,
                        "cleanup.policy": ["delete"],
                        "max.message.bytes": topic.max_message_bytes,
                    },
                    "bindingVersion": "0.5.0",
                }
            },
        }
        if refs:
            inbound = topic.owner == "referral" and "submissions" in topic.name
            operations[f"{'receive' if inbound else 'send'}{cid[0].upper()}{cid[1:]}"] = {
                "action": "receive" if inbound else "send",
                "summary": (
                    "Agencies send here; the referral service receives."
                    if inbound
                    else f"The {topic.owner} service publishes here; agencies may subscribe."
                ),
                "channel": {"$ref": f"#/channels/{cid}"},
                "messages": [{"$ref": f"#/channels/{cid}/messages/{m}"} for m in refs],
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "MAAG integration events",
            "version": "1.0.0",
            "description": (
                "Topics, keys and messages of the MAAG services. Envelope: the CloudEvents Kafka "
                "binding in binary mode. Key: the case id. Compatibility: BACKWARD — fields are "
                "only ever added as optional; a breaking change is a new versioned type.\n\n"
                + LIMITS_DOC
                + "\n\n"
                + CORRELATION_DOC
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "deploy/local/infra.sh up",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def rendered() -> dict[str, str]:
    """Relative path -> file text, exactly as export writes it."""
    files = {
        f"schemas/{name}": json.dumps(schema, indent=2, sort_keys=True) + "\n"
        for name, schema in json_schemas().items()
    }
    files["asyncapi.yaml"] = yaml.safe_dump(
        asyncapi(), sort_keys=False, width=100, allow_unicode=True
    )
    return files


def check_compatible(directory: Path) -> list[str]:
    """Breaking changes of the current models against the schemas published in `directory`."""
    current = json_schemas()
    problems = []
    for path in sorted((directory / "schemas").glob("*.json")):
        published = json.loads(path.read_text())
        if path.name not in current:
            problems.append(f"{path.stem}: event type removed (publish a new version instead)")
            continue
        problems += [f"{path.stem}: {p}" for p in breaking_changes(published, current[path.name])]
    return problems


def export(directory: Path, allow_breaking: bool = False) -> list[Path]:
    if not allow_breaking and (problems := check_compatible(directory)):
        raise BreakingChange("refusing to overwrite published schemas:\n  " + "\n  ".join(problems))
    written = []
    for rel, text in rendered().items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(target)
    return written
