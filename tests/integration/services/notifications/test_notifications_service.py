"""Emails through a real SMTP server process: the right recipient, subject and link, no
personal data; a duplicate event sends one email; SMTP down then up delivers each once; a
refused recipient becomes NotificationFailed and a dead letter; a crash between sending
and recording resends with the same Message-ID."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.events import Actor
from contracts.events.panel import LeadProfessionalAssigned
from contracts.reference import Agency, Panel, Role
from contracts.topics import NOTIFICATION_EVENTS, PANEL_EVENTS
from services.notifications.service import NotificationsService, build
from tests.integration.runtime.conftest import read_all
from tests.support import identity
from tests.support.net import free_port
from tests.support.notifications import REJECTED, Mailbox, all_handled
from tests.support.referral import CHILD_NAME
from tests.support.running import running, settings_for
from tests.support.waiting import consumed_to_end


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    box = Mailbox(free_port(), tmp_path / "mail")
    yield box
    box.stop()


@pytest.fixture
async def service(
    kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str, mailbox: Mailbox
) -> AsyncIterator[NotificationsService]:
    settings = await settings_for(
        kafka_bootstrap,
        postgres_url,
        pg_schema,
        topic_prefix,
        **identity.settings(),
        smtp_port=mailbox.port,
        smtp_retry_seconds=60,
        web_base_url="https://maag.example",
    )
    async with running(build(settings)) as svc:
        yield svc


async def _assigned(
    producer: AIOKafkaProducer,
    topic: str,
    case_id: uuid.UUID,
    email: str,
    sequence: int,
    event_id: str | None = None,
) -> str:
    event = LeadProfessionalAssigned(
        case_id=case_id,
        occurred_at=datetime.now(UTC),
        actor=Actor(user_id="coord-1", role=Role.PANEL_MEMBER, agency="social-care"),
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        professional_id="lp-1",
        professional_name="Lee Lead",
        agency=Agency.EDUCATION,
        work_email=email,
    )
    event_id = event_id or str(uuid.uuid4())
    envelope = Envelope(
        id=event_id,
        source="/maag/panel",
        type=event.TYPE,
        time=event.occurred_at,
        subject=str(case_id),
        correlation_id="corr-n",
        causation_id=None,
        actor=event.actor,
        sequence=sequence,
    )
    await producer.send_and_wait(
        topic,
        event.model_dump_json().encode(),
        key=str(case_id).encode(),
        headers=envelope.headers(),
    )
    return event_id


async def _until(check: Any, timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_the_lead_professional_gets_one_email_with_the_link_and_no_personal_data(
    service: NotificationsService,
    mailbox: Mailbox,
    producer: AIOKafkaProducer,
    kafka_bootstrap: str,
    topic_prefix: str,
) -> None:
    mailbox.start()
    topic = PANEL_EVENTS.named(topic_prefix)
    case_id = uuid.uuid4()
    event_id = await _assigned(producer, topic, case_id, "lee@school.example", sequence=3)
    await _assigned(producer, topic, case_id, "lee@school.example", sequence=3, event_id=event_id)
    await _assigned(producer, topic, case_id, "lee@school.example", sequence=8, event_id=event_id)
    await _until(lambda: len(mailbox.received()) >= 1)
    await all_handled(service, kafka_bootstrap)  # a duplicate would have been sent by now
    (msg,) = mailbox.received()
    assert msg["To"] == "lee@school.example"
    ref = f"MAAG-{str(case_id).split('-')[0].upper()}"
    assert msg["Subject"] == f"MAAG case {ref}: you are the lead professional"
    raw = next(iter(mailbox.directory.glob("*.eml"))).read_text()
    assert f"https://maag.example/cases/{case_id}" in raw
    for part in CHILD_NAME.split():
        assert part not in raw
    sent = await read_all(kafka_bootstrap, NOTIFICATION_EVENTS.named(topic_prefix), expected=1)
    outcome = json.loads(sent[0].value)
    assert outcome["recipient"] == "lee@school.example" and outcome["source_event_id"] == event_id
    assert outcome["message_id"] == msg["Message-ID"]


async def test_smtp_down_then_up_delivers_each_email_once(
    service: NotificationsService,
    mailbox: Mailbox,
    producer: AIOKafkaProducer,
    topic_prefix: str,
    kafka_bootstrap: str,
) -> None:
    topic = PANEL_EVENTS.named(topic_prefix)
    for i in range(3):
        await _assigned(producer, topic, uuid.uuid4(), f"lead{i}@school.example", sequence=i + 1)
    await consumed_to_end(service.consumer, kafka_bootstrap)
    await _until(lambda: service.sender.retries >= 2)  # retrying against a closed port
    assert service.sender.sent == 0
    mailbox.start()
    await _until(lambda: len(mailbox.received()) >= 3)
    await all_handled(service, kafka_bootstrap)
    received = mailbox.received()
    assert sorted(m["To"] for m in received) == [f"lead{i}@school.example" for i in range(3)]
    assert len({m["Message-ID"] for m in received}) == 3


async def test_a_refused_recipient_is_recorded_as_failed_and_dead_lettered(
    service: NotificationsService,
    mailbox: Mailbox,
    producer: AIOKafkaProducer,
    kafka_bootstrap: str,
    topic_prefix: str,
) -> None:
    mailbox.start()
    topic = PANEL_EVENTS.named(topic_prefix)
    event_id = await _assigned(producer, topic, uuid.uuid4(), REJECTED, sequence=1)
    failed = await read_all(kafka_bootstrap, NOTIFICATION_EVENTS.named(topic_prefix), expected=1)
    outcome = json.loads(failed[0].value)
    assert dict(failed[0].headers)["ce_type"] == b"maag.notifications.NotificationFailed.v1"
    assert outcome["reason"].startswith("permanent:") and "550" in outcome["reason"]
    dead = await read_all(kafka_bootstrap, topic + ".dlq", expected=1)
    headers = dict(dead[0].headers)
    assert headers["dlq_consumer"] == b"maag.notifications.sender"
    assert headers["ce_id"] == event_id.encode() and b"550" in headers["dlq_error"]
    assert mailbox.received() == []


async def test_a_crash_between_sending_and_recording_resends_with_the_same_message_id(
    service: NotificationsService,
    mailbox: Mailbox,
    producer: AIOKafkaProducer,
    topic_prefix: str,
) -> None:
    mailbox.start()
    sender = service.sender
    from maag.runtime.store.unit_of_work import Work
    from services.notifications.domain.notification import Notification

    work = Work(service.app)
    n = Notification(
        source_event_id="evt-crash",
        source_type="t",
        source_topic=PANEL_EVENTS.named(topic_prefix),
        case_id=uuid.uuid4(),
        template="consent-withdrawn",
        recipient="lee@school.example",
        context={"case_ref": "MAAG-X", "link": "https://maag.example/cases/x"},
        correlation_id="c",
    )
    work.add(n)
    # Send as the sender would, then "crash" before recording: the running sender sees it pending.
    outcome = await sender.send(n)
    assert outcome.sent
    await asyncio.to_thread(work.commit)
    await _until(lambda: len(mailbox.received()) >= 2)
    ids = [m["Message-ID"] for m in mailbox.received()]
    assert ids == [n.message_id, n.message_id]
