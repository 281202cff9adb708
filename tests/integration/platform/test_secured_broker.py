"""The services' Kafka clients against a broker secured as production is (SASL_SSL with
SCRAM-SHA-512, a CA of its own, the StandardAuthorizer with the manifests' KafkaUser ACLs):
a service connects trusting only that CA and publishes where its user may; an agency's
credentials write referral submissions and are refused on an event topic; a client that
trusts only the system's CAs cannot connect."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError
from aiokafka.helpers import create_ssl_context

from contracts.topics import REFERRAL_EVENTS, REFERRAL_SUBMISSIONS
from maag.ops import deployment
from maag.runtime.messaging import broker as messaging
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from tests.support.secured_kafka import acl_args, create_acls, secured_kafka

USERS = {"maag-referral": "referral-secret-1", "agency-education": "agency-secret-1"}


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
