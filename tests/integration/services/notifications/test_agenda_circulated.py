"""An agenda circulated, through the real broker, store and an SMTP server process: each member
on the panel's distribution list gets one email with the meeting's London time and its link,
however often the event arrives; an agenda of a panel with no distribution list is
dead-lettered with the reason, and nobody is emailed for it."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.events import Actor
from contracts.events.panel import AgendaCirculated
from contracts.reference import District, Panel, Role
from contracts.topics import PANEL_EVENTS
from services.notifications.service import NotificationsService, build
from tests.integration.runtime.conftest import read_all
from tests.support import identity
from tests.support.net import free_port
from tests.support.notifications import Mailbox, all_handled
from tests.support.running import running, settings_for
from tests.support.waiting import until

MEMBERS = ["chair-1@maag.example", "coordinator-1@maag.example", "panel-pvi@maag.example"]


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    box = Mailbox(free_port(), tmp_path / "mail")
    yield box
    box.stop()


@pytest.fixture
async def service(
    kafka_bootstrap: str,
    postgres_url: str,
    pg_schema: str,
    topic_prefix: str,
    mailbox: Mailbox,
    tmp_path: Path,
) -> AsyncIterator[NotificationsService]:
    contacts = tmp_path / "contacts.json"  # Harlow's MAAG has a distribution list; no other
    contacts.write_text(
        json.dumps({"members:maag:harlow": {"name": "Harlow MAAG", "members": MEMBERS}})
    )
    settings = await settings_for(
        kafka_bootstrap,
        postgres_url,
        pg_schema,
        topic_prefix,
        **identity.settings(),
        smtp_port=mailbox.port,
        smtp_retry_seconds=60,
        web_base_url="https://maag.example",
        provider_directory=contacts,
    )
    async with running(build(settings)) as svc:
        yield svc


async def _circulated(
    producer: AIOKafkaProducer,
    topic: str,
    meeting_id: uuid.UUID,
    district: District,
    sequence: int,
    event_id: str,
) -> None:
    event = AgendaCirculated(
        case_id=meeting_id,
        occurred_at=datetime.now(UTC),
        actor=Actor(user_id="chair-1", role=Role.PANEL_CHAIR, agency="social-care"),
        meeting_id=meeting_id,
        panel=Panel.MAAG,
        district=district,
        starts_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        cases_listed=2,
        circulation=1,
    )
    envelope = Envelope(
        id=event_id,
        source="/maag/panel",
        type=event.TYPE,
        time=event.occurred_at,
        subject=str(meeting_id),
        correlation_id="corr-agenda",
        causation_id=None,
        actor=event.actor,
        sequence=sequence,
    )
    await producer.send_and_wait(
        topic,
        event.model_dump_json().encode(),
        key=str(meeting_id).encode(),
        headers=envelope.headers(),
    )


async def test_each_member_gets_the_agenda_once_and_an_unknown_panel_is_dead_lettered(
    service: NotificationsService,
    mailbox: Mailbox,
    producer: AIOKafkaProducer,
    kafka_bootstrap: str,
    topic_prefix: str,
) -> None:
    mailbox.start()
    topic = PANEL_EVENTS.named(topic_prefix)
    harlow, tendring = uuid.uuid4(), uuid.uuid4()
    event_id = str(uuid.uuid4())
    await _circulated(producer, topic, harlow, District.HARLOW, 1, event_id)
    await _circulated(producer, topic, harlow, District.HARLOW, 1, event_id)  # redelivered
    await _circulated(producer, topic, harlow, District.HARLOW, 4, event_id)  # republished
    await _circulated(producer, topic, tendring, District.TENDRING, 5, str(uuid.uuid4()))
    await until(lambda: len(mailbox.received()) >= len(MEMBERS), "every member's email")
    await all_handled(service, kafka_bootstrap)  # a second email would have gone by now
    received = mailbox.received()
    assert Counter(m["To"] for m in received) == Counter(MEMBERS)  # each member, once
    for msg in received:
        assert (
            msg["Subject"] == "Harlow MAAG meeting on Tuesday 1 December 2026 at 10:00: the agenda"
        )
        assert msg["X-MAAG-Meeting"] == str(harlow) and msg["X-MAAG-Case"] is None
    raw = next(iter(mailbox.directory.glob("*.eml"))).read_text()
    assert f"https://maag.example/meetings/{harlow}" in raw and "2 cases listed" in raw
    dead = await read_all(kafka_bootstrap, topic + ".dlq", expected=1)
    headers = dict(dead[0].headers)
    assert headers["dlq_consumer"] == f"{topic_prefix}maag.notifications".encode()
    error = headers["dlq_error"].decode()
    assert error.startswith("Rejected: panel: the Tendring MAAG has no distribution list")
    assert "members:maag:tendring" in error
    assert str(tendring) not in " ".join(m["X-MAAG-Meeting"] or "" for m in received)
