"""Every limit is declared and holds: every string and list of every published schema and
every HTTP body is bounded, the largest message a schema allows is far under its topic's
limit, and the largest valid commands produce events the outbox can always publish."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import limits
from contracts.export import json_schemas
from contracts.reference import Agency, Role
from contracts.topics import ALL_TOPICS, EVENT_TOPICS, max_message_bytes
from maag.runtime.messaging.outbox import OutboxRelay
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from services.panel.domain.constitution import MAAG_AGENCIES
from services.panel.domain.schedule import LOCAL
from tests.support.built import build_all
from tests.support.identity import auth
from tests.support.sitting import sit
from tests.unit.services.panel import deliveries as panel_use

Schema = dict[str, Any]

# Bounded by construction: enumerations, constants and these formats.
_BOUNDED_FORMATS = {"uuid", "date", "date-time"}


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = (root.get("$defs") or root.get("components", {}).get("schemas", {}))[name]
    return node


def unbounded(node: Schema, root: Schema, path: str = "") -> list[str]:
    """Paths of the strings without maxLength and the arrays without maxItems."""
    node = _resolve(node, root)
    found: list[str] = []
    for alt in node.get("anyOf", []) + node.get("oneOf", []):
        found += unbounded(alt, root, path)
    kind = node.get("type")
    fixed = "enum" in node or "const" in node or node.get("format") in _BOUNDED_FORMATS
    if kind == "string" and not fixed and "maxLength" not in node:
        found.append(path or "(value)")
    if kind == "array":
        if "maxItems" not in node:
            found.append(path or "(value)")
        found += unbounded(node.get("items", {}), root, f"{path}[]")
    for name, prop in node.get("properties", {}).items():
        found += unbounded(prop, root, f"{path}.{name}" if path else name)
    return found


def worst_bytes(node: Schema, root: Schema) -> int:
    """The most bytes a value valid by `node` can take as JSON (6 bytes a character: a
    control character is written as \\u00XX)."""
    node = _resolve(node, root)
    alts = node.get("anyOf") or node.get("oneOf")
    if alts:
        return max(worst_bytes(a, root) for a in alts)
    if "enum" in node:
        return max(len(repr(v)) + 2 for v in node["enum"])
    if "const" in node:
        return len(repr(node["const"])) + 2
    kind = node.get("type")
    if kind == "string":
        fixed = {"uuid": 36, "date": 10, "date-time": 40}
        if node.get("format") in fixed:
            return 2 + fixed[node["format"]]
        return 2 + 6 * int(node["maxLength"])
    if kind == "integer":
        return max(len(str(node.get(k, 10**19))) for k in ("minimum", "maximum")) + 1
    if kind == "number":
        return 25
    if kind in ("boolean", "null"):
        return 5
    if kind == "array":
        return 2 + int(node["maxItems"]) * (worst_bytes(node.get("items", {}), root) + 1)
    if kind == "object" or "properties" in node:
        return 2 + sum(
            len(k) + 4 + worst_bytes(p, root) for k, p in node.get("properties", {}).items()
        )
    raise AssertionError(f"no bound for {node}")


# ce_* headers are at most ID_CHARS characters each (4 bytes a character), plus the key.
HEADERS_WORST = 14 * (20 + 4 * limits.ID_CHARS) + 36


def test_every_string_and_list_of_every_published_schema_is_bounded() -> None:
    found = {
        name: paths
        for name, schema in json_schemas().items()
        if (paths := unbounded(schema, schema))
    }
    assert found == {}


def test_the_largest_valid_message_of_each_topic_is_far_under_its_limit() -> None:
    schemas = json_schemas()
    for topic in ALL_TOPICS:
        for model in topic.messages:
            schema = schemas[f"{model.TYPE}.json"]  # type: ignore[attr-defined]
            largest = worst_bytes(schema, schema) + HEADERS_WORST + 8 * 1024  # + a token
            assert largest < topic.max_message_bytes / 2, (model.__name__, largest)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return build_all(tmp_path_factory.mktemp)


def test_every_http_body_of_every_service_is_bounded(built: dict[str, Any]) -> None:
    found = {}
    for name, service in built.items():
        api: FastAPI = service.api
        spec = api.openapi()
        for path, operations in spec["paths"].items():
            for method, op in operations.items():
                body = op.get("requestBody", {}).get("content", {}).get("application/json")
                if body and (paths := unbounded(body["schema"], spec)):
                    found[f"{name} {method.upper()} {path}"] = paths
    assert found == {}


LARGEST = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# The character that fills every string: the worst are those JSON escapes or UTF-8 widens.
fill = st.sampled_from(["\x00", '"', "\\", "\u2028", "\U0001f600", "é", "x"]) | st.characters()


def _publications(service: Any) -> list[Any]:
    relay: OutboxRelay = service.relay
    _, publications = relay.pending(relay.position())  # raises OutboxBlocked if one cannot go
    relay.record(max([p.position for p in publications], default=relay.position()))
    for p in publications:
        assert p.size < max_message_bytes(p.topic) / 2, (p.topic, p.size)
    return publications


@LARGEST
@given(c=fill)
def test_the_largest_referral_makes_events_the_outbox_can_always_publish(
    built: dict[str, Any], c: str
) -> None:
    agencies = [a.value for a in Agency]
    body = {
        "caf_reference": "CAF-2026-99999999",
        "referring_agency": "education",
        "referring_professional_id": c * limits.ID_CHARS,
        "district": "castle-point",
        "child": {
            "given_name": c * limits.ID_CHARS,
            "family_name": c * limits.ID_CHARS,
            "date_of_birth": "2014-03-09",
            "address": c * limits.ADDRESS_CHARS,
        },
        "needs": [c * limits.NEED_CHARS] * limits.NEEDS,
        "agencies_requested": (agencies * 2)[: limits.AGENCIES],
        "level_of_need": 4,
        "significant_harm_concern": False,
        "transition": True,
        "consent": {
            "given_by": "parent-carer",
            "scope": (agencies * 2)[: limits.AGENCIES],
            "given_on": "2026-11-01",
            "how_obtained": c * limits.TEXT_CHARS,
        },
    }
    client = TestClient(built["referral"].api, raise_server_exceptions=False)
    r = client.post("/referrals", json=body, headers=auth(user=c * limits.ID_CHARS))
    assert r.status_code in (200, 201), r.text
    assert _publications(built["referral"])


@LARGEST
@given(c=fill)
def test_the_largest_panel_decisions_make_events_the_outbox_can_always_publish(
    built: dict[str, Any], c: str
) -> None:
    service = built["panel"]
    app = service.app
    case_id = uuid.uuid4()
    work = Work(app)
    panel_use.referral_accepted(
        work,
        case_id,
        "tendring",
        4,
        [a.value for a in Agency],
        datetime(2026, 11, 27, tzinfo=LOCAL),
    )
    work.commit()
    (meeting_id,) = app.repository.get(case_id).listings
    sit(app, meeting_id)
    client = TestClient(service.api, raise_server_exceptions=False)
    chair = auth([Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care", c * limits.ID_CHARS)
    for i, agency in enumerate(sorted(MAAG_AGENCIES)):  # each, with the longest id, signs in
        member = auth(Role.PANEL_MEMBER, agency, c * (limits.ID_CHARS - 2) + f"{i:02d}")
        r = client.post(
            f"/meetings/{meeting_id}/attendance",
            headers=member,
            json={"name": c * limits.ID_CHARS},
        )
        assert r.status_code == 200, r.text
    long_text = c * limits.TEXT_CHARS
    justification = c * (limits.TEXT_CHARS - 1) + "j"  # a blank one is rightly refused
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example"
    decisions: list[dict[str, Any]] = [
        {
            "kind": "assign-lead-professional",
            "professional_id": c * limits.ID_CHARS,
            "name": c * limits.ID_CHARS,
            "agency": "education",
            "work_email": email[: limits.EMAIL_CHARS],
            "justification": justification,
        },
        {
            "kind": "request-package",
            "justification": justification,
            "interventions": [
                {
                    "service": c * limits.LABEL_CHARS,
                    "preferred_provider_id": c * limits.ID_CHARS,
                    "hours_per_week": 167.999999,
                    "starts_on": "2026-12-07",
                    "review_interval_weeks": 52,
                    "estimated_weekly_cost_pence": 100_000_000,
                }
            ]
            * limits.INTERVENTIONS,
        },
        {"kind": "escalate", "to": "earp", "reason": long_text, "justification": justification},
    ]
    for decision in decisions:
        r = client.post(
            f"/meetings/{meeting_id}/decisions",
            headers=chair,
            json={**decision, "case_id": str(case_id)},
        )
        assert r.status_code == 200, (decision["kind"], r.text)
    assert _publications(service)


def test_the_limits_reach_the_broker_and_the_producer() -> None:
    from contracts.topics import PRODUCER_BATCH_BYTES

    for topic in ALL_TOPICS:
        assert topic.config["max.message.bytes"] == str(topic.max_message_bytes)
    assert all(t.dead_letters.max_message_bytes > t.max_message_bytes for t in EVENT_TOPICS)
    assert min(t.max_message_bytes for t in ALL_TOPICS) == PRODUCER_BATCH_BYTES
    assert Settings().http_port >= 0  # settings load with the limits module imported
