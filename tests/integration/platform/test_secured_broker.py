"""The services' Kafka clients against a broker secured as production is (SASL_SSL with
SCRAM-SHA-512, a CA of its own, the StandardAuthorizer with the manifests' KafkaUser ACLs):
a service connects trusting only that CA and publishes where its user may; an agency's
credentials write referral submissions and are refused on an event topic; a client that
trusts only the system's CAs cannot connect. Agencies are kept apart: one reads its own
outcomes topic, and is refused another agency's, the shared `maag.referral.events`, and
writing any outcomes topic (only the referral service may)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from aiokafka.helpers import create_ssl_context

from contracts.reference import Agency
from contracts.topics import AGENCY_OUTCOMES, REFERRAL_EVENTS, REFERRAL_SUBMISSIONS
from maag.ops import deployment
from maag.runtime.messaging import broker as messaging
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from tests.support.secured_kafka import acl_args, create_acls, secured_kafka

USERS = {
    "maag-referral": "referral-secret-1",
    "agency-education": "agency-secret-1",
    "agency-police": "agency-secret-2",
}
EDUCATION = AGENCY_OUTCOMES[Agency.EDUCATION].name
POLICE = AGENCY_OUTCOMES[Agency.POLICE].name


def _settings(broker_address: str, user: str, ca: Path) -> Settings:
    return Settings.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": broker_address,
            "MAAG_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "MAAG_KAFKA_SASL_USERNAME": user,
            "MAAG_KAFKA_SASL_PASSWORD": USERS[user],
            "MAAG_KAFKA_CA_FILE": str(ca),
        }
    )


async def test_tls_scram_and_the_kafka_users_acls_on_a_secured_broker(tmp_path: Path) -> None:
    with secured_kafka(tmp_path, USERS) as broker:
        await kafka.ensure_topics(broker.internal, "", [REFERRAL_EVENTS, REFERRAL_SUBMISSIONS])
        users = {u["metadata"]["name"]: u for u in deployment.users()}
        create_acls(broker, [a for name in USERS for a in acl_args(users[name])])

        # the referral service: its aiokafka producer and its FastStream broker, over TLS
        referral = _settings(broker.secure, "maag-referral", broker.ca_file)
        producer = kafka.producer(referral.kafka_bootstrap, "t", **kafka.client_options(referral))
        await producer.start()
        try:
            await producer.send_and_wait(REFERRAL_EVENTS.name, b"{}", key=b"k")
        finally:
            await producer.stop()
        published = messaging.broker(referral.kafka_bootstrap, "t", messaging.security(referral))
        await published.start()
        try:
            await published.publish(b"{}", topic=REFERRAL_EVENTS.name, key=b"k")
        finally:
            await published.stop()

        # an agency's system: submissions yes, an event topic no
        agency = _settings(broker.secure, "agency-education", broker.ca_file)
        producer = kafka.producer(agency.kafka_bootstrap, "a", **kafka.client_options(agency))
        await producer.start()
        try:
            await producer.send_and_wait(REFERRAL_SUBMISSIONS.name, b"{}", key=b"k")
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send_and_wait(REFERRAL_EVENTS.name, b"{}", key=b"k")
        finally:
            await producer.stop()

        # trusting only the system's CAs: no connection (the service refuses to start so)
        options = {**kafka.client_options(referral), "ssl_context": create_ssl_context()}
        untrusting = kafka.producer(referral.kafka_bootstrap, "u", **options)
        with pytest.raises(KafkaConnectionError):
            await untrusting.start()
        await untrusting.stop()


def _consumer(settings: Settings, group: str | None = None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **kafka.client_options(settings),
    )


async def _described(settings: Settings, topic: str) -> int:
    """The error code the broker answers this principal's describing `topic` with: a consumer
    must describe a topic before it can fetch from it (a Read ACL implies Describe), so
    TOPIC_AUTHORIZATION_FAILED here means the topic cannot be read at all."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, **kafka.client_options(settings)
    )
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return int(described["error_code"])


async def _send(settings: Settings, topic: str, value: bytes, **headers: str) -> None:
    producer = kafka.producer(settings.kafka_bootstrap, "p", **kafka.client_options(settings))
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, value, key=b"case-1", headers=[(k, v.encode()) for k, v in headers.items()]
        )
    finally:
        await producer.stop()


async def test_an_agency_reads_its_own_outcomes_and_nothing_of_another_agencys(
    tmp_path: Path,
) -> None:
    with secured_kafka(tmp_path, USERS) as broker:
        topics = [REFERRAL_EVENTS, REFERRAL_SUBMISSIONS, *AGENCY_OUTCOMES.values()]
        await kafka.ensure_topics(broker.internal, "", topics)
        users = {u["metadata"]["name"]: u for u in deployment.users()}
        create_acls(broker, [a for name in USERS for a in acl_args(users[name])])

        # the referral service writes the shared record and each agency's outcomes
        referral = _settings(broker.secure, "maag-referral", broker.ca_file)
        await _send(referral, REFERRAL_EVENTS.name, b'{"shared": true}')
        await _send(referral, EDUCATION, b'{"for": "education"}', ce_correlationid="sub-e-1")
        await _send(referral, POLICE, b'{"for": "police"}', ce_correlationid="sub-p-1")

        # education's system reads its own outcomes, in its own consumer group
        education = _settings(broker.secure, "agency-education", broker.ca_file)
        own = _consumer(education, group="agency-education-outcomes")
        await own.start()
        try:
            own.subscribe([EDUCATION])
            async with asyncio.timeout(60):
                record: Any = await own.getone()
            assert record.value == b'{"for": "education"}'
            assert dict(record.headers)["ce_correlationid"] == b"sub-e-1"
            await own.commit()  # its group's offsets are its own to keep
        finally:
            await own.stop()

        # ... and not police's outcomes, nor the shared record of every agency's cases
        # (each holds a record: refused, not merely empty)
        refused = TopicAuthorizationFailedError.errno
        assert await _described(education, EDUCATION) == 0
        assert await _described(education, POLICE) == refused
        assert await _described(education, REFERRAL_EVENTS.name) == refused
        # nor in another agency's consumer group
        other_group = _consumer(education, group="agency-police-outcomes")
        await other_group.start()
        try:
            other_group.subscribe([EDUCATION])
            with pytest.raises(GroupAuthorizationFailedError):
                async with asyncio.timeout(30):
                    await other_group.getone()
        finally:
            await other_group.stop()

        # no agency writes an outcome: not a forged one into its own topic, nor another's
        for topic in (EDUCATION, POLICE):
            with pytest.raises(TopicAuthorizationFailedError):
                await _send(education, topic, b'{"forged": true}', ce_correlationid="sub-p-1")
        # police reads its own (only the referral service's record is there)
        police = _settings(broker.secure, "agency-police", broker.ca_file)
        mine = _consumer(police, group="agency-police-outcomes")
        await mine.start()
        try:
            mine.subscribe([POLICE])
            async with asyncio.timeout(60):
                batch = await mine.getmany(timeout_ms=10_000)
            values = [r.value for records in batch.values() for r in records]
            assert values == [b'{"for": "police"}']
        finally:
            await mine.stop()
