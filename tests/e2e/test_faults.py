"""Faults across the whole system as processes, on the real broker, database and SMTP
server: each service killed with SIGKILL mid-flow and restarted; the broker restarted
mid-flow; the database restarted mid-flow; a burst of malformed submissions. Every time:
the flow completes, no event is lost, no email is sent twice."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

from contracts.reference import Agency
from contracts.topics import AGENCY_OUTCOMES, REFERRAL_EVENTS, REFERRAL_SUBMISSIONS
from maag.ops.demo.client import wait_for
from maag.runtime.messaging import kafka
from tests.integration.runtime.conftest import read_all
from tests.support.flow import (
    CONSENT,
    DISTRICTS,
    assert_each_case_once,
    decide,
    refer,
    wait_complete,
)
from tests.support.identity import agency_token, auth, token
from tests.support.private_infra import private_kafka, private_postgres
from tests.support.referral import details
from tests.support.system import System, running_system


def test_each_service_killed_mid_flow_and_restarted(system: System) -> None:
    client = system.client(timeout=120)
    client.ready()
    cases = refer(client, 6)
    system.kill("referral")  # events stored; perhaps not yet relayed
    system.start_service("referral")

    decide(client, cases[:3])
    system.kill("panel")  # decisions stored; perhaps not yet relayed
    system.start_service("panel")
    system.kill("commissioning")  # packages being requested and commissioned
    system.start_service("commissioning")

    decide(client, cases[3:])
    system.kill("notifications")  # emails being sent
    system.start_service("notifications")

    wait_complete(system.mail, cases)
    assert_each_case_once(client, system.mail, cases, notifications_killed=True)


def test_the_broker_restarted_mid_flow(
    tmp_path: Path, postgres_url: str, pg_schema: str, topic_prefix: str
) -> None:
    with (
        private_kafka(tmp_path) as broker,
        running_system(tmp_path, broker.bootstrap, postgres_url, pg_schema, topic_prefix) as system,
    ):
        client = system.client(timeout=180)
        client.ready()
        first = refer(client, 3)
        decide(client, first[:1])
        broker.kill()
        # The broker is down: the APIs still take referrals and decisions (stored, to be
        # relayed once it is back).
        later = refer(client, 3, start=3)
        broker.start()
        decide(client, first[1:] + later)
        wait_complete(system.mail, first + later)
        assert_each_case_once(client, system.mail, first + later)


def test_the_database_restarted_mid_flow(
    tmp_path: Path, kafka_bootstrap: str, pg_schema: str, topic_prefix: str
) -> None:
    with (
        private_postgres() as db,
        running_system(tmp_path, kafka_bootstrap, db.url, pg_schema, topic_prefix) as system,
    ):
        client = system.client(timeout=180)
        client.ready()
        first = refer(client, 3)
        decide(client, first[:1])
        db.ctl("stop")  # mid-flow: events in flight between the services
        body = details(district="harlow", consent=CONSENT, caf_reference="CAF-2026-999999")
        headers = {**auth(), "Idempotency-Key": "while-the-database-is-down"}
        # eventsourcing tries ten times before giving up: the answer takes ~12 s
        r = httpx.post(
            f"{system.url('referral')}/referrals", json=body, headers=headers, timeout=60
        )
        assert r.status_code == 503 and "store is unavailable" in r.json()["detail"], r.text
        time.sleep(2)
        db.ctl("start")
        answers: list[str] = []  # what each retry got, for the failure message

        def retried() -> httpx.Response | None:
            try:
                resp = httpx.post(
                    f"{system.url('referral')}/referrals", json=body, headers=headers, timeout=15
                )
            except httpx.TransportError as e:
                answers.append(type(e).__name__)
                return None
            answers.append(f"{resp.status_code} {resp.text[:80]}")
            return resp if resp.status_code == 201 else None

        try:
            r = wait_for("the referral retried", retried)
        except AssertionError as e:
            raise AssertionError(f"{e}; the answers were {answers[-5:]}") from e
        first.append(r.json()["case_id"])
        later = refer(client, 3, start=3)
        decide(client, first[1:] + later)
        wait_complete(system.mail, first + later)
        assert_each_case_once(client, system.mail, first + later)


def _bad_submissions() -> dict[str, tuple[bytes, list[tuple[str, bytes]], str]]:
    """key -> (value, headers, what the dead letter's reason must say)."""
    ok = [("authorization", f"Bearer {agency_token()}".encode())]

    def body(key: str, **override: object) -> bytes:
        return json.dumps({**details(consent=CONSENT), "submission_id": key, **override}).encode()

    return {
        "bad-json": (b"{not json", ok, "Invalid JSON"),
        "bad-empty": (b"", ok, "Invalid JSON: EOF"),
        "bad-fields": (
            body("bad-fields", district="atlantis", caf_reference="nope"),
            ok,
            "caf_reference: String should match pattern",
        ),
        "bad-extra": (
            body("bad-extra", favourite_colour="blue"),
            ok,
            "favourite_colour: Extra inputs are not permitted",
        ),
        "bad-no-token": (body("bad-no-token"), [], "missing Authorization header"),
        "bad-forged": (
            body("bad-forged"),
            [("authorization", b"Bearer " + agency_token().encode()[:-4] + b"AAAA")],
            "token signature does not verify",
        ),
        "bad-role": (
            body("bad-role"),
            [("authorization", f"Bearer {token('panel-member', 'social-care')}".encode())],
            "role 'panel-member' may not submit referrals",
        ),
    }


def test_a_burst_of_malformed_submissions_is_rejected_and_the_valid_ones_processed(
    system: System, kafka_bootstrap: str, topic_prefix: str
) -> None:
    client = system.client(timeout=120)
    client.ready()
    bad = _bad_submissions()
    good = [f"good-submission-{i:03d}" for i in range(10)]
    topic = REFERRAL_SUBMISSIONS.named(topic_prefix)

    async def burst() -> None:
        producer = kafka.producer(kafka_bootstrap, "burst")
        await producer.start()
        try:
            sends = []
            for i, key in enumerate(good):  # interleaved: good, bad, good, bad...
                value = json.dumps(
                    {
                        **details(
                            consent=CONSENT,
                            district=DISTRICTS[i % len(DISTRICTS)],
                            caf_reference=f"CAF-2026-{800000 + i}",
                        ),
                        "submission_id": key,
                    }
                ).encode()
                headers = [("authorization", f"Bearer {agency_token()}".encode())]
                sends.append(await producer.send(topic, value, key=key.encode(), headers=headers))
                if i < len(bad):
                    k = list(bad)[i]
                    v, h, _ = bad[k]
                    sends.append(await producer.send(topic, v, key=k.encode(), headers=h))
            await asyncio.gather(*sends)
        finally:
            await producer.stop()

    asyncio.run(burst())

    dead = asyncio.run(read_all(kafka_bootstrap, topic + ".dlq", expected=len(bad), timeout=60))
    reasons = {r.key.decode(): dict(r.headers)["dlq_error"].decode() for r in dead}
    assert set(reasons) == set(bad), reasons
    for key, (value, _, says) in bad.items():
        assert says.lower() in reasons[key].lower(), (key, reasons[key])
        (record,) = [r for r in dead if r.key.decode() == key]
        assert record.value == value  # the original, as sent, for the agency to correct

    events = asyncio.run(
        read_all(kafka_bootstrap, REFERRAL_EVENTS.named(topic_prefix), expected=3 * len(good))
    )
    accepted = [
        json.loads(r.value)
        for r in events
        if dict(r.headers)["ce_type"] == b"maag.referral.ReferralAccepted.v1"
    ]
    assert len(accepted) == len(good)
    for case in accepted:
        client.wait_listed(str(case["case_id"]))  # each valid one carried on to its panel

    # Education's system is answered on its own outcomes topic: each good submission's
    # outcome, and a rejection for each bad record its token proved it sent (two without a
    # readable submission_id); nothing for a record no token proves, and the panel member's
    # record goes to their agency's topic, never to education's.
    def outcomes(agency: Agency, expected: int) -> list[Any]:
        topic = AGENCY_OUTCOMES[agency].named(topic_prefix)
        return asyncio.run(read_all(kafka_bootstrap, topic, expected=expected, timeout=60))

    # (deduplicated on ce_id, as an agency does: a republished record repeats it)
    answers = list(
        {dict(r.headers)["ce_id"]: r for r in outcomes(Agency.EDUCATION, len(good) + 4)}.values()
    )
    kinds = [dict(r.headers)["ce_type"].rsplit(b".", 2)[1].decode() for r in answers]
    assert sorted(kinds) == ["ReferralAccepted"] * len(good) + ["ReferralRejected"] * 4
    told = {dict(r.headers)["ce_correlationid"].decode() for r in answers}
    assert set(good) | {"bad-fields", "bad-extra"} <= told
    assert not told & {"bad-no-token", "bad-forged", "bad-role"}
    for r in answers:  # the service's act, about this case alone
        assert dict(r.headers)["ce_actoruserid"] == b"referral-service"
        assert json.loads(r.value).get("joins_case_id") is None
    (role,) = outcomes(Agency.SOCIAL_CARE, 1)
    assert dict(role.headers)["ce_correlationid"] == b"bad-role"
