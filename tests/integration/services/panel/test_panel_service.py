"""The panel service against the real broker and database: ReferralAccepted lists the case
on its district's next agenda (once, however often it arrives); decisions in a quorate
meeting publish LeadProfessionalAssigned and PackageRequested."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from fastapi.testclient import TestClient

from contracts.reference import District, Panel, Role
from contracts.topics import PANEL_EVENTS, REFERRAL_EVENTS
from services.panel.domain.schedule import PanelRef, agenda_open_at, meeting_id
from services.panel.service import PanelService, build
from tests.integration.runtime.conftest import read_to_end
from tests.support import identity
from tests.support.events import record, referral_accepted
from tests.support.identity import auth
from tests.support.running import running, settings_for
from tests.support.waiting import consumed_to_end, follower_caught_up


def coordinator() -> dict[str, str]:
    return auth(Role.PANEL_MEMBER, "social-care", "coord-1")


def chair() -> dict[str, str]:
    return auth([Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care", "chair-i1")


@pytest.fixture
async def service(
    kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> AsyncIterator[PanelService]:
    settings = await settings_for(
        kafka_bootstrap,
        postgres_url,
        pg_schema,
        topic_prefix,
        **identity.settings(),
        quorum_other_agencies=2,
    )
    async with running(build(settings)) as svc:
        yield svc


async def _accepted(
    producer: AIOKafkaProducer, topic: str, case_id: uuid.UUID, sequence: int
) -> None:
    key, value, headers = record(
        referral_accepted(case_id, District.ROCHFORD), "/maag/referral", sequence
    )
    await producer.send_and_wait(topic, value, key=key, headers=headers)


async def _eventually_agenda(
    client: TestClient, meeting: uuid.UUID, count: int
) -> list[dict[str, Any]]:
    for _ in range(150):
        r = await asyncio.to_thread(
            client.get, f"/meetings/{meeting}/agenda", headers=coordinator()
        )
        if r.status_code == 200 and len(r.json()["agenda"]) >= count:
            return list(r.json()["agenda"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"agenda of {meeting} never had {count} items")


async def test_accepted_referrals_are_listed_once_and_decisions_are_published(
    service: PanelService, producer: AIOKafkaProducer, kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = REFERRAL_EVENTS.named(topic_prefix)
    case_id = uuid.uuid4()
    await _accepted(producer, topic, case_id, sequence=5)
    await _accepted(producer, topic, case_id, sequence=5)  # redelivered
    await _accepted(producer, topic, case_id, sequence=9)  # the same outcome published again
    ref = PanelRef(Panel.MAAG, District.ROCHFORD)
    listed_on = meeting_id(ref, agenda_open_at(ref, datetime.now(UTC)))

    client = TestClient(service.api)
    # Every copy handled and projected before the agenda is read: a second listing would show.
    await consumed_to_end(service.consumer, kafka_bootstrap)
    await follower_caught_up(service.app, service.projector.position, "agenda")
    agenda = await _eventually_agenda(client, listed_on, 1)
    assert [item["case_id"] for item in agenda] == [str(case_id)]  # listed once
    # that meeting records nothing until it sits: the coordinator calls one for now and
    # brings the case forward to it
    called = await asyncio.to_thread(
        client.post,
        "/meetings",
        headers=coordinator(),
        json={"panel": "maag", "district": "rochford", "starts_at": datetime.now(UTC).isoformat()},
    )
    assert called.status_code == 201, called.text
    meeting = called.json()["meeting_id"]
    r = await asyncio.to_thread(
        client.post,
        f"/meetings/{meeting}/agenda",
        headers=coordinator(),
        json={"case_id": str(case_id), "reason": "urgent"},
    )
    assert r.status_code == 200, r.text

    for agency in ("social-care", "education", "camhs"):  # each attendee signs in
        r = await asyncio.to_thread(
            client.post,
            f"/meetings/{meeting}/attendance",
            headers=auth(Role.PANEL_MEMBER, agency),
            json={"name": f"Member {agency}"},
        )
        assert r.status_code == 200, r.text
    decisions = [
        {
            "kind": "assign-lead-professional",
            "case_id": str(case_id),
            "professional_id": "lp-7",
            "name": "Lee Lead",
            "agency": "education",
            "work_email": "lee@school.example",
        },
        {
            "kind": "request-package",
            "case_id": str(case_id),
            "interventions": [
                {
                    "service": "family support",
                    "preferred_provider_id": "pvi-12",
                    "hours_per_week": 6,
                    "starts_on": "2026-12-07",
                    "review_interval_weeks": 12,
                    "estimated_weekly_cost_pence": 36000,
                }
            ],
        },
    ]
    for body in decisions:
        r = await asyncio.to_thread(
            client.post, f"/meetings/{meeting}/decisions", headers=chair(), json=body
        )
        assert r.status_code == 200, r.text

    case_records: list[Any] = []
    for _ in range(100):
        records = await read_to_end(kafka_bootstrap, PANEL_EVENTS.named(topic_prefix))
        case_records = [r for r in records if r.key == str(case_id).encode()]
        if len(case_records) >= 4:
            break
        await asyncio.sleep(0.2)
    types = [dict(r.headers)["ce_type"].decode() for r in case_records]
    assert types == [
        "maag.panel.CaseListed.v1",
        "maag.panel.CaseListed.v1",  # brought forward
        "maag.panel.LeadProfessionalAssigned.v1",
        "maag.panel.PackageRequested.v1",
    ]
    lead, package = (json.loads(r.value) for r in case_records[2:])
    assert lead["work_email"] == "lee@school.example" and lead["meeting_id"] == str(meeting)
    assert package["interventions"][0]["preferred_provider_id"] == "pvi-12"
    assert package["district"] == "rochford" and package["actor"]["user_id"] == "chair-i1"
