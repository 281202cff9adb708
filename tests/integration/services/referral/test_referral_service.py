"""The referral service against the real broker and database: a submission on the inbound
topic (and one over HTTP) becomes ReferralReceived and ReferralAccepted on the outbound
topic; an invalid one becomes ReferralRejected and a dead letter; the child's name is on
no topic the service writes and in no log line."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi.testclient import TestClient

from contracts.reference import Agency
from contracts.topics import AGENCY_OUTCOMES, ALL_TOPICS, REFERRAL_EVENTS, REFERRAL_SUBMISSIONS
from maag.runtime.evidence.keyring import breaks
from maag.runtime.store.case_keys import SqlKeyring
from services.referral.service import ReferralService
from tests.integration.runtime.conftest import read_all, read_to_end
from tests.support.identity import auth, token
from tests.support.referral import CHILD_NAME, a_child, details

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "youth-service"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}


def _types(records: list[Any]) -> list[str]:
    return [dict(r.headers)["ce_type"].decode() for r in records]


async def test_a_topic_submission_is_received_and_accepted_on_the_outbound_topic(
    service: ReferralService,
    kafka_bootstrap: str,
    topic_prefix: str,
    producer: AIOKafkaProducer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    submission = {**details(consent=CONSENT), "submission_id": "edu-sub-000001"}
    value = json.dumps(submission).encode()
    headers = [("authorization", f"Bearer {token()}".encode())]
    topic = REFERRAL_SUBMISSIONS.named(topic_prefix)
    await producer.send_and_wait(topic, value, key=b"edu-sub-000001", headers=headers)
    await producer.send_and_wait(topic, value, key=b"edu-sub-000001", headers=headers)  # resent

    records = await read_all(kafka_bootstrap, REFERRAL_EVENTS.named(topic_prefix), expected=3)
    assert _types(records) == [
        "maag.referral.ReferralReceived.v2",
        "maag.referral.ConsentRecorded.v2",
        "maag.referral.ReferralAccepted.v1",
    ]
    accepted = json.loads(records[-1].value)
    assert accepted["district"] == "harlow" and accepted["panel"] == "maag"
    assert {r.key for r in records} == {accepted["case_id"].encode()}  # keyed by case id
    assert dict(records[-1].headers)["ce_correlationid"] == b"edu-sub-000001"
    await _assert_no_personal_data(kafka_bootstrap, topic_prefix, capsys)


async def test_an_invalid_submission_is_rejected_with_reasons_and_dead_lettered(
    service: ReferralService, kafka_bootstrap: str, topic_prefix: str, producer: AIOKafkaProducer
) -> None:
    bad = {**details(district="atlantis", caf_reference="nope"), "submission_id": "edu-sub-000002"}
    topic = REFERRAL_SUBMISSIONS.named(topic_prefix)
    await producer.send_and_wait(
        topic,
        json.dumps(bad).encode(),
        key=b"edu-sub-000002",
        headers=[("authorization", f"Bearer {token()}".encode())],
    )
    good = {**details(consent=CONSENT), "submission_id": "edu-sub-000003"}
    await producer.send_and_wait(
        topic,
        json.dumps(good).encode(),
        key=b"edu-sub-000003",
        headers=[("authorization", f"Bearer {token()}".encode())],
    )

    records = await read_all(kafka_bootstrap, REFERRAL_EVENTS.named(topic_prefix), expected=4)
    types = _types(records)
    # Different keys, so perhaps different partitions: no order between the two submissions.
    assert sorted(types) == sorted(
        [
            "maag.referral.ReferralRejected.v1",
            "maag.referral.ReferralReceived.v2",
            "maag.referral.ConsentRecorded.v2",
            "maag.referral.ReferralAccepted.v1",
        ]
    )
    rejected = json.loads(records[types.index("maag.referral.ReferralRejected.v1")].value)
    assert rejected["submission_id"] == "edu-sub-000002"
    assert {p["field"] for p in rejected["problems"]} == {"district", "caf_reference"}
    dead = await read_all(kafka_bootstrap, topic + ".dlq", expected=1)
    reason = dict(dead[0].headers)["dlq_error"].decode()
    assert reason.startswith("caf_reference: String should match pattern") and "district:" in reason


async def test_an_http_submission_reaches_the_outbound_topic(
    service: ReferralService,
    kafka_bootstrap: str,
    topic_prefix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = TestClient(service.api)
    r = await asyncio.to_thread(
        client.post,
        "/referrals",
        json=details(consent=CONSENT),
        headers={**auth(), "Idempotency-Key": "http-key-0001", "X-Correlation-Id": "corr-http-1"},
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    records = await read_all(kafka_bootstrap, REFERRAL_EVENTS.named(topic_prefix), expected=3)
    assert _types(records)[-1] == "maag.referral.ReferralAccepted.v1"
    assert dict(records[-1].headers)["ce_subject"] == case_id.encode()
    assert dict(records[-1].headers)["ce_correlationid"] == b"corr-http-1"
    ready = await asyncio.to_thread(client.get, "/readyz")
    assert ready.json() == {
        "ready": True,
        "checks": {"store": True, "broker": True, "outbox": True},
    }
    await _assert_no_personal_data(kafka_bootstrap, topic_prefix, capsys)


async def test_http_submissions_at_once_are_each_their_own_and_their_keys_logged(
    service: ReferralService, kafka_bootstrap: str, topic_prefix: str
) -> None:
    """Submissions arriving together are submitted together (one worker thread, their keys
    made in one transaction): each is its own case, published under its own request's
    correlation id, and the keyring's log accounts for every key."""
    headers = auth()
    transport = httpx.ASGITransport(app=service.api)  # every request on this one loop
    async with httpx.AsyncClient(transport=transport, base_url="http://referral") as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    "/referrals",
                    json=details(consent=CONSENT, child=a_child(i)),
                    headers={**headers, "X-Correlation-Id": f"corr-batch-{i}"},
                )
                for i in range(6)
            )
        )
    assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]
    cases = {r.json()["case_id"]: f"corr-batch-{i}" for i, r in enumerate(answers)}
    assert len(cases) == 6
    records = await read_all(kafka_bootstrap, REFERRAL_EVENTS.named(topic_prefix), expected=18)
    accepted = {
        dict(r.headers)["ce_subject"].decode(): dict(r.headers)["ce_correlationid"].decode()
        for r in records
        if dict(r.headers)["ce_type"] == b"maag.referral.ReferralAccepted.v1"
    }
    assert accepted == cases
    keyring = service.app.keyring
    assert isinstance(keyring, SqlKeyring) and keyring.log_key is not None
    assert breaks(keyring.engine, "referral", keyring.log_key) == []


async def test_each_agency_is_told_its_own_outcomes_on_its_own_topic(
    service: ReferralService, kafka_bootstrap: str, topic_prefix: str, producer: AIOKafkaProducer
) -> None:
    client = TestClient(service.api)
    made = await asyncio.to_thread(
        client.post,
        "/referrals",
        json=details(consent=CONSENT),
        headers={**auth(), "Idempotency-Key": "http-key-0009", "X-Correlation-Id": "corr-http-9"},
    )
    assert made.status_code == 201, made.text
    case_id = made.json()["case_id"]
    topic = REFERRAL_SUBMISSIONS.named(topic_prefix)
    bad = {**details(district="atlantis"), "submission_id": "edu-sub-000009"}
    await producer.send_and_wait(
        topic,
        json.dumps(bad).encode(),
        key=b"edu-sub-000009",
        headers=[("authorization", f"Bearer {token()}".encode())],
    )
    # claiming to be education's, with no token: proves no sender, so no agency is told
    unproven = {**bad, "submission_id": "edu-sub-000010"}
    await producer.send_and_wait(topic, json.dumps(unproven).encode(), key=b"edu-sub-000010")

    education = AGENCY_OUTCOMES[Agency.EDUCATION].named(topic_prefix)
    told = await read_all(kafka_bootstrap, education, expected=2)
    assert sorted(_types(told)) == [
        "maag.referral.ReferralAccepted.v1",
        "maag.referral.ReferralRejected.v1",
    ]
    by_type = {dict(r.headers)["ce_type"]: r for r in told}
    accepted = by_type[b"maag.referral.ReferralAccepted.v1"]
    assert dict(accepted.headers)["ce_subject"] == case_id.encode()
    assert dict(accepted.headers)["ce_correlationid"] == b"corr-http-9"
    assert dict(accepted.headers)["ce_actoruserid"] == b"referral-service"
    assert json.loads(by_type[b"maag.referral.ReferralRejected.v1"].value)["submission_id"] == (
        "edu-sub-000009"
    )
    # the shared record has both rejections; once it does, no other agency's topic has any
    shared = await read_all(kafka_bootstrap, REFERRAL_EVENTS.named(topic_prefix), expected=5)
    rejected = [json.loads(r.value) for r in shared if b"Rejected" in dict(r.headers)["ce_type"]]
    assert sorted((r["submission_id"], r["referring_agency"]) for r in rejected) == [
        ("edu-sub-000009", "education"),
        ("edu-sub-000010", None),
    ]
    for agency, spec in AGENCY_OUTCOMES.items():
        if agency is not Agency.EDUCATION:
            assert await read_to_end(kafka_bootstrap, spec.named(topic_prefix)) == [], agency
    # the relay's lookup of a referral's agency, for one received before it last started
    assert service.app.repository.get(UUID(case_id)).agency == "education"


async def _assert_no_personal_data(
    bootstrap: str, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Over the raw bytes of every topic the service writes, and of everything it logged.
    (The submissions topic itself is the agency's input and carries the name by design.)"""
    written = [t for t in ALL_TOPICS if t is not REFERRAL_SUBMISSIONS]
    scanned = 0
    for spec in written:
        for record in await read_to_end(bootstrap, spec.named(prefix)):
            blob = (
                (record.value or b"") + (record.key or b"") + b"".join(v for _, v in record.headers)
            )
            scanned += 1
            for part in CHILD_NAME.split():
                assert part.encode() not in blob, f"{part} found on {spec.name}"
    assert scanned >= 3  # the scan saw the service's events
    logged = capsys.readouterr()
    for part in CHILD_NAME.split():
        assert part not in logged.err and part not in logged.out
