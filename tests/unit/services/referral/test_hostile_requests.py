"""Hostile HTTP requests to the referral service get a clear 4xx naming the field and the
rule, never a 5xx, and a large body is refused before anything reads or authenticates it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from contracts.limits import HTTP_BODY_BYTES, NEEDS
from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api


def _errors(r: Any) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in r.json().get("errors", [])}


def test_a_body_over_the_limit_is_413_before_authentication(api: Api) -> None:
    big = b"{" + b" " * (HTTP_BODY_BYTES + 1) + b"}"
    r = api.client.post(
        "/referrals", content=big, headers={"content-type": "application/json"}
    )  # no token at all: 413, not 401, because the size is checked first
    assert r.status_code == 413
    assert r.json()["detail"] == f"request body: larger than {HTTP_BODY_BYTES} bytes"


async def test_a_body_without_a_length_is_cut_off_at_the_limit(api: Api) -> None:
    """Driven as a server drives it (ASGI), counting what the service asked to receive."""
    chunk = 65536
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b" " * chunk, "more_body": pulled < 1000}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "path": "/referrals",
        "raw_path": b"/referrals",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", auth()["Authorization"].encode())],  # no length
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8001),
        "scheme": "http",
    }
    await api.client.app(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert pulled <= HTTP_BODY_BYTES // chunk + 1, "it stopped reading at the limit"
    assert len([m for m in sent if m["type"] == "http.response.start"]) == 1


def test_a_non_numeric_content_length_is_400(api: Api) -> None:
    r = api.client.post("/referrals", content=b"{}", headers={**auth(), "content-length": "12abc"})
    assert r.status_code == 400
    assert "Content-Length" in r.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"significant_harm_concern": "yes"}, "body.significant_harm_concern", "valid boolean"),
        ({"transition": 1}, "body.transition", "valid boolean"),
        ({"services_requested": ["astrology"]}, "body.services_requested.0", "Input should be"),
        ({"transition_basis": "holiday"}, "body.transition_basis", "Input should be"),
        ({"level_of_need": "3"}, "body.level_of_need", "Input should be"),
        ({"needs": ["x"] * (NEEDS + 1)}, "body.needs", f"at most {NEEDS} items"),
        ({"needs": ["x" * 101]}, "body.needs.0", "at most 100 characters"),
        (
            {
                "child": {
                    "given_name": "A",
                    "family_name": "B",
                    "date_of_birth": "2999-01-01",
                    "address": "1 Street",
                }
            },
            "body.child.date_of_birth",
            "must not be in the future",
        ),
        (
            {
                "child": {
                    "given_name": "A",
                    "family_name": "B",
                    "date_of_birth": "1600000000",
                    "address": "1 Street",
                }
            },
            "body.child.date_of_birth",
            "YYYY-MM-DD",
        ),
        (
            {
                "consent": {
                    "given_by": "parent-carer",
                    "scope": ["camhs"],
                    "given_on": "2999-01-01",
                    "how_obtained": "form",
                }
            },
            "body.consent.given_on",
            "must not be in the future",
        ),
    ],
)
def test_a_value_the_schema_forbids_is_422_naming_the_field(
    api: Api, change: dict[str, Any], field: str, reason: str
) -> None:
    r = api.client.post("/referrals", json=details(**change), headers=auth())
    assert r.status_code == 422, r.text
    assert reason in _errors(r)[field], _errors(r)


@pytest.mark.parametrize("given", ["Zebedee Quillfeather, 9 Elm Rd", "x" * 65, ""])
def test_a_correlation_id_that_is_not_an_id_is_replaced_by_a_new_one(api: Api, given: str) -> None:
    r = api.client.get("/referrals", headers={**auth(), "X-Correlation-Id": given})
    assert r.status_code == 200
    issued = r.headers["X-Correlation-Id"]
    assert issued != given and uuid.UUID(issued)


def test_a_correlation_id_in_the_documented_form_is_kept(api: Api) -> None:
    given = "agency-system:0042.a_b-9"
    r = api.client.get("/referrals", headers={**auth(), "X-Correlation-Id": given})
    assert r.headers["X-Correlation-Id"] == given


def test_a_token_with_an_oversized_subject_is_401_not_500(api: Api) -> None:
    r = api.client.get("/referrals", headers=auth(user="u" * 5000))
    assert r.status_code == 401
    assert "'sub' claim must be 1 to 200 characters" in r.json()["detail"]
