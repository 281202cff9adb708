"""A burst of malformed messages of every kind we could think of, sent to the agencies'
submissions topic and to every inter-service topic while valid referrals flow, against the
whole system as processes on the real broker and database. Afterwards:
- every valid submission was processed exactly once and reached its panel;
- every malformed message was dead-lettered by every consumer of its topic, with a reason,
  and no credential; every malformed submission was answered with a ReferralRejected that
  the agency can correlate (its offset, and its submission_id where it had a readable one);
- no service stopped or restarted;
- the child's name is on no topic but the submissions topic (and its dead letters), and in
  no log line."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
from aiokafka.errors import MessageSizeTooLargeError
from cryptography.hazmat.primitives.asymmetric import rsa

from contracts.limits import SUBMISSION_MESSAGE_BYTES
from contracts.reference import Role
from contracts.topics import (
    ALL_TOPICS,
    COMMISSIONING_EVENTS,
    PANEL_EVENTS,
    REFERRAL_EVENTS,
    REFERRAL_SUBMISSIONS,
)
from maag.runtime.messaging import kafka
from maag.services import SPECS
from tests.integration.runtime.conftest import read_to_end
from tests.support import identity
from tests.support.events import envelope_headers
from tests.support.flow import CONSENT, DISTRICTS
from tests.support.identity import agency_token, token
from tests.support.referral import CHILD_NAME, details
from tests.support.system import System

Headers = list[tuple[str, bytes | None]]
Kind = tuple[str, bytes | None, Headers]  # (what it is, value, headers)


def _submission(sid: str, **override: Any) -> dict[str, Any]:
    return {**details(consent=CONSENT), "submission_id": sid, **override}


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _bearer(value: str) -> Headers:
    return [("authorization", f"Bearer {value}".encode())]


def _jwt(key: Any, algorithm: str, kid: str = "made-up-kid") -> Headers:
    """A token the provider did not sign, with the claims one of its tokens would carry."""
    now = int(time.time())
    claims = {
        "sub": "x",
        "roles": ["referrer"],
        "agency": "education",
        "iss": identity.current().issuer,
        "aud": "maag-referral",
        "iat": now,
        "exp": now + 600,
    }
    return _bearer(jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid}))


def bad_submissions() -> list[Kind]:
    ok = _bearer(agency_token())
    child = details()["child"]
    return [
        ("empty value", b"", ok),
        ("tombstone (no value)", None, ok),
        ("not UTF-8", b"\xff\xfe\xfa{", ok),
        ("UTF-16 JSON", json.dumps(_submission("sub-utf16-000")).encode("utf-16"), ok),
        ("JSON with a byte-order mark", b"\xef\xbb\xbf" + _encode(_submission("sub-bom-0000")), ok),
        ("arrays nested 50,000 deep", b"[" * 50_000 + b"]" * 50_000, ok),
        ("objects nested 20,000 deep", b'{"a":' * 20_000 + b"1" + b"}" * 20_000, ok),
        ("JSON null", b"null", ok),
        ("a JSON array", b"[1, 2, 3]", ok),
        ("a JSON string", b'"submission"', ok),
        ("a number past any float", b"1e400", ok),
        ("an integer of 5,000 digits", b"9" * 5000, ok),
        ("NaN", b"NaN", ok),
        ("truncated JSON", _encode(_submission("sub-trunc-000"))[:-7], ok),
        ("trailing garbage", _encode(_submission("sub-trail-000")) + b"}}garbage", ok),
        ("a string for a boolean", _encode(_submission("sub-bool-0000", transition="yes")), ok),
        ("a string for a number", _encode(_submission("sub-num-00000", level_of_need="3")), ok),
        ("3.5 for an integer", _encode(_submission("sub-float-000", level_of_need=3.5)), ok),
        (
            "a required field missing",
            _encode({k: v for k, v in _submission("sub-missing-0").items() if k != "child"}),
            ok,
        ),
        ("an unknown field", _encode(_submission("sub-extra-000", favourite="blue")), ok),
        ("31 needs", _encode(_submission("sub-needs-000", needs=["learning"] * 31)), ok),
        (
            "a 10,000-character name",
            _encode(_submission("sub-long-0000", child={**child, "given_name": "A" * 10_000})),
            ok,
        ),
        (
            "a child born in the future",
            _encode(_submission("sub-future-00", child={**child, "date_of_birth": "2999-01-01"})),
            ok,
        ),
        (
            "a date of birth as seconds",
            _encode(_submission("sub-seconds-0", child={**child, "date_of_birth": "1600000000"})),
            ok,
        ),
        (
            "consent given in the future",
            _encode(_submission("sub-consent-0", consent={**CONSENT, "given_on": "2999-01-01"})),
            ok,
        ),
        ("a submission_id too short", _encode(_submission("short")), ok),
        ("no authorization header", _encode(_submission("sub-noauth-00")), []),
        (
            "an authorization header without a value",
            _encode(_submission("sub-null-000")),
            [("authorization", None)],
        ),
        (
            "a non-UTF-8 authorization header",
            _encode(_submission("sub-binauth-0")),
            [("authorization", b"Bearer \xff\xfe")],
        ),
        (
            "Basic credentials",
            _encode(_submission("sub-basic-000")),
            [("authorization", b"Basic dXNlcjpwYXNz")],
        ),
        (
            "a forged token (a shared secret, HS256)",
            _encode(_submission("sub-forged-00")),
            _jwt("not-the-county-secret-but-long-enough-0123", "HS256"),
        ),
        (
            "an unsigned token (alg none)",
            _encode(_submission("sub-algnone-0")),
            _jwt(None, "none"),
        ),
        (
            "a token signed by a key the provider does not publish",
            _encode(_submission("sub-ownkey-00")),
            _jwt(rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        ),
        (
            "a panel member's token",
            _encode(_submission("sub-role-0000")),
            _bearer(token(Role.PANEL_MEMBER, "social-care")),
        ),
        (
            "another agency's token",
            _encode(_submission("sub-agency-00")),
            _bearer(agency_token("police")),
        ),
        (
            "a made-up agency's token",
            _encode(_submission("sub-madeup-00")),
            _bearer(token(Role.REFERRER, "made-up")),
        ),
    ]


def _envelope(type_name: str, subject: str, **override: Any) -> Headers:
    """A valid envelope with some headers changed (`...` removes one)."""
    headers: dict[str, bytes | None] = dict(
        envelope_headers(type_name, subject, 10**15, source="/maag/burst")
    )
    for key, value in override.items():
        if value is ...:
            headers.pop(key)
        else:
            headers[key] = value
    return list(headers.items())


def bad_events(type_name: str) -> list[Kind]:
    """Malformed records for an event topic, each with something else wrong."""
    case = str(uuid.uuid4())
    payload = {
        "case_id": case,
        "occurred_at": datetime.now(UTC).isoformat(),
        "actor": {"user_id": "burst", "role": "system", "agency": "maag"},
    }
    good_value = _encode(payload)
    return [
        ("no headers at all", good_value, []),
        (
            "another CloudEvents version",
            good_value,
            _envelope(type_name, case, ce_specversion=b"0.3"),
        ),
        ("an unknown event type", good_value, _envelope("maag.nothing.Nothing.v1", case)),
        ("no ce_sequence", good_value, _envelope(type_name, case, ce_sequence=...)),
        ("ce_sequence not digits", good_value, _envelope(type_name, case, ce_sequence=b"12a")),
        (
            "ce_time without a zone",
            good_value,
            _envelope(type_name, case, ce_time=b"2026-11-27T10:00:00"),
        ),
        ("ce_subject not the case", good_value, _envelope(type_name, str(uuid.uuid4()))),
        ("a header without a value", good_value, _envelope(type_name, case, ce_id=None)),
        ("a header not UTF-8", good_value, _envelope(type_name, case, ce_source=b"\xff\xfe")),
        ("a 10,000-character ce_id", good_value, _envelope(type_name, case, ce_id=b"i" * 10_000)),
        (
            "an actor role that does not exist",
            good_value,
            _envelope(type_name, case, ce_actorrole=b"king"),
        ),
        ("a tombstone", None, _envelope(type_name, case)),
        ("invalid JSON", b"{nope", _envelope(type_name, case)),
        ("arrays nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, _envelope(type_name, case)),
        (
            "a string for a time",
            _encode({**payload, "occurred_at": "yesterday"}),
            _envelope(type_name, case),
        ),
        (
            "a time as seconds",
            _encode({**payload, "occurred_at": "1600000000"}),
            _envelope(type_name, case),
        ),
        ("fields missing", _encode({"case_id": case}), _envelope(type_name, case)),
        (
            "a credential in a header",
            b"{}",
            [*_envelope(type_name, case), ("authorization", f"Bearer {agency_token()}".encode())],
        ),
    ]


INTER_SERVICE = {
    REFERRAL_EVENTS: "maag.referral.ReferralAccepted.v1",
    PANEL_EVENTS: "maag.panel.PackageRequested.v1",
    COMMISSIONING_EVENTS: "maag.commissioning.PackageCommissioned.v1",
}
CONSUMERS = {
    topic.name: {s.group_id for s in SPECS.values() if topic in s.consumes} for topic in ALL_TOPICS
}


async def _send(system_prefix: str, bootstrap: str, good: list[str]) -> dict[str, Any]:
    """Send the burst; return where each malformed record landed."""
    producer = kafka.producer(bootstrap, "burst")
    await producer.start()
    sent: dict[str, Any] = {"submissions": [], "events": [], "refused_by_broker": []}
    try:
        submissions = REFERRAL_SUBMISSIONS.named(system_prefix)
        bad = bad_submissions()
        for i in range(max(len(good), len(bad))):
            if i < len(good):
                body = _submission(
                    good[i],
                    district=DISTRICTS[i % len(DISTRICTS)],
                    caf_reference=f"CAF-2026-{700000 + i}",
                )
                await producer.send_and_wait(
                    submissions,
                    _encode(body),
                    key=good[i].encode(),
                    headers=_bearer(agency_token()),
                )
            if i < len(bad):
                what, value, headers = bad[i]
                md = await producer.send_and_wait(
                    submissions, value, key=f"bad-{i}".encode(), headers=headers
                )
                sent["submissions"].append((what, md.partition, md.offset))
            for topic, type_name in INTER_SERVICE.items():
                kinds = bad_events(type_name)
                if i < len(kinds):
                    what, value, headers = kinds[i]
                    md = await producer.send_and_wait(
                        topic.named(system_prefix),
                        value,
                        key=str(uuid.uuid4()).encode(),
                        headers=headers,
                    )
                    sent["events"].append((topic.name, what, md.partition, md.offset))
        # Over the declared limit: the broker itself refuses it (max.message.bytes).
        try:
            await producer.send_and_wait(
                submissions, b" " * (SUBMISSION_MESSAGE_BYTES + 1), headers=_bearer(agency_token())
            )
        except MessageSizeTooLargeError:
            sent["refused_by_broker"].append("a record over the topic's limit")
    finally:
        await producer.stop()
    return sent


def _wait(what: str, check: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last is True or (last and not isinstance(last, str)):
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}: {last}")


def test_a_burst_of_malformed_messages_on_every_topic_stops_nothing_and_loses_nothing(
    system: System, kafka_bootstrap: str, topic_prefix: str
) -> None:
    client = system.client(timeout=120)
    client.ready()
    pids = {name: proc.pid for name, proc in system.procs.items()}
    good = [f"valid-submission-{uuid.uuid4().hex[:8]}-{i:02d}" for i in range(12)]
    sent = asyncio.run(_send(topic_prefix, kafka_bootstrap, good))

    kinds = len(bad_submissions()) + len(bad_events("x")) + len(sent["refused_by_broker"])
    assert kinds >= 30
    print(f"malformed kinds: {kinds}; records: {len(sent['submissions']) + len(sent['events'])}")

    # Every malformed record is dead-lettered by every consumer of its topic, with a reason.
    def dead_letters() -> dict[tuple[str, int, int], set[str]] | str:
        found: dict[tuple[str, int, int], set[str]] = {}
        for topic in (REFERRAL_SUBMISSIONS, *INTER_SERVICE):
            for r in asyncio.run(
                read_to_end(kafka_bootstrap, topic.dead_letters.named(topic_prefix))
            ):
                h = dict(r.headers)
                assert h["dlq_error"], "a dead letter says why"
                assert "authorization" not in h, "no credential in a dead letter"
                key = (topic.name, int(h["dlq_partition"]), int(h["dlq_offset"]))
                found.setdefault(key, set()).add(
                    h["dlq_consumer"].decode().removeprefix(topic_prefix)
                )
        expected = {
            (REFERRAL_SUBMISSIONS.name, p, o): CONSUMERS[REFERRAL_SUBMISSIONS.name]
            for _, p, o in sent["submissions"]
        } | {(t, p, o): CONSUMERS[t] for t, _, p, o in sent["events"]}
        missing = {
            k: v - found.get(k, set()) for k, v in expected.items() if v - found.get(k, set())
        }
        if not missing:
            return found
        names = {(t, p, o): w for t, w, p, o in sent["events"]} | {
            (REFERRAL_SUBMISSIONS.name, p, o): w for w, p, o in sent["submissions"]
        }
        return f"not yet dead-lettered: {[(names[k], k[0], sorted(v)) for k, v in missing.items()]}"

    _wait("every malformed record dead-lettered by each of its consumers", dead_letters)

    # Each malformed submission is answered on the events topic, correlatable by the agency.
    def events() -> list[Any]:
        return asyncio.run(read_to_end(kafka_bootstrap, REFERRAL_EVENTS.named(topic_prefix)))

    def rejections() -> dict[tuple[int, int], dict[str, Any]] | str:
        found = {
            (json.loads(r.value)["source_partition"], json.loads(r.value)["source_offset"]): (
                json.loads(r.value)
            )
            for r in events()
            if dict(r.headers).get("ce_type") == b"maag.referral.ReferralRejected.v1"
        }
        missing = [w for w, p, o in sent["submissions"] if (p, o) not in found]
        return found if not missing else f"no rejection yet for {missing}"

    answered = _wait("a ReferralRejected for each malformed submission", rejections)
    by_kind = {what: answered[p, o] for what, p, o in sent["submissions"]}
    assert by_kind["a string for a boolean"]["submission_id"] == "sub-bool-0000"
    assert by_kind["a string for a boolean"]["problems"][0]["field"] == "transition"
    assert by_kind["a child born in the future"]["problems"] == [
        {"field": "child.date_of_birth", "reason": "Value error, must not be in the future"}
    ]
    assert by_kind["another agency's token"]["problems"][0]["field"] == "header authorization"
    for what, rejection in by_kind.items():
        assert rejection["problems"], what

    # Every valid submission: received exactly once, accepted, and listed at its panel.
    received = _wait(
        "every valid submission received",
        lambda: (
            r
            if len(
                r := [
                    e
                    for e in events()
                    if dict(e.headers).get("ce_type") == b"maag.referral.ReferralReceived.v2"
                    and dict(e.headers)["ce_correlationid"].decode() in good
                ]
            )
            >= len(good)
            else None
        ),
    )
    assert sorted(dict(e.headers)["ce_correlationid"].decode() for e in received) == sorted(good)
    for e in received:
        client.wait_listed(json.loads(e.value)["case_id"])

    # Nothing stopped, nothing restarted.
    for name, proc in system.procs.items():
        assert proc.poll() is None, f"{name} exited with {proc.returncode}"
        assert proc.pid == pids[name]
    logs = system.logs()
    assert "background loop failed" not in logs
    assert "outbox blocked" not in logs

    # The child's name stays on the submissions topic and in the referral service.
    for topic in ALL_TOPICS:
        if topic in (REFERRAL_SUBMISSIONS, REFERRAL_SUBMISSIONS.dead_letters):
            continue
        for r in asyncio.run(read_to_end(kafka_bootstrap, topic.named(topic_prefix))):
            blob = (r.value or b"") + b"".join(v or b"" for _, v in r.headers)
            assert CHILD_NAME.split()[1].encode() not in blob, topic.name
    assert CHILD_NAME.split()[1] not in logs
