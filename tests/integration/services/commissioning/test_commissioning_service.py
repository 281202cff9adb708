"""The commissioning service on the real broker and database: PackageRequested becomes
PackageCommissioned; two consumers racing for a provider's last place leave one winner and
no negative capacity; ConsentWithdrawn decommissions every active package of the case."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts.events import Actor
from contracts.events.referral import ConsentWithdrawn
from contracts.reference import Role
from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS, REFERRAL_EVENTS
from maag.runtime.settings import Settings
from maag.runtime.web.auth import Caller
from services.commissioning.application.commands.register_provider import RegisterProvider
from services.commissioning.domain.aggregates import Provider, provider_uuid
from services.commissioning.domain.values import ProviderDetails
from services.commissioning.service import CommissioningService, build
from tests.integration.runtime.conftest import read_to_end
from tests.support import identity
from tests.support.events import package_requested, record
from tests.support.running import running, settings_for

COMMISSIONER = Caller.of("c-1", Role.COMMISSIONER, "childrens-services")


@pytest.fixture
async def settings(
    kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> Settings:
    return await settings_for(
        kafka_bootstrap, postgres_url, pg_schema, topic_prefix, **identity.settings()
    )


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[CommissioningService]:
    async with running(build(settings)) as svc:
        yield svc


async def _outcomes(bootstrap: str, topic: str, keys: set[bytes], count: int) -> list[Any]:
    for _ in range(150):
        found = [r for r in await read_to_end(bootstrap, topic) if r.key in keys]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"fewer than {count} outcomes on {topic}")


def _type(r: Any) -> str:
    return str(dict(r.headers)["ce_type"].decode())


async def test_a_requested_package_is_commissioned_and_consent_withdrawn_decommissions_it(
    service: CommissioningService,
    producer: AIOKafkaProducer,
    kafka_bootstrap: str,
    topic_prefix: str,
) -> None:
    case_id = uuid.uuid4()
    for seq, (svc_name, hours) in enumerate([("family support", 4), ("mentoring", 2)], start=1):
        key, value, headers = record(
            package_requested(case_id, svc_name, hours), "/maag/panel", seq
        )
        await producer.send_and_wait(
            PANEL_EVENTS.named(topic_prefix), value, key=key, headers=headers
        )
    out = COMMISSIONING_EVENTS.named(topic_prefix)
    commissioned = await _outcomes(kafka_bootstrap, out, {str(case_id).encode()}, 2)
    assert [_type(r) for r in commissioned] == ["maag.commissioning.PackageCommissioned.v1"] * 2
    first = json.loads(commissioned[0].value)
    assert (
        first["interventions"][0]["provider_id"] == "inhouse-west"
        and first["weekly_cost_pence"] == 14000
    )

    withdrawn = ConsentWithdrawn(
        case_id=case_id,
        occurred_at=datetime.now(UTC),
        actor=Actor(user_id="r", role=Role.REFERRER, agency="education"),
        withdrawn_on=datetime.now(UTC).date(),
        continues_on_safeguarding_basis=False,
    )
    key, value, headers = record(withdrawn, "/maag/referral", 1)
    await producer.send_and_wait(
        REFERRAL_EVENTS.named(topic_prefix), value, key=key, headers=headers
    )
    events = await _outcomes(kafka_bootstrap, out, {str(case_id).encode()}, 4)
    decommissioned = [
        json.loads(r.value) for r in events if _type(r).endswith("PackageDecommissioned.v1")
    ]
    assert {d["package_id"] for d in decommissioned} == {
        json.loads(r.value)["package_id"] for r in commissioned
    }
    assert {d["reason"] for d in decommissioned} == {"consent-withdrawn"}
    assert _provider(service, "inhouse-west").used == 0


def _provider(service: CommissioningService, provider_id: str) -> Provider:
    p: Any = service.app.repository.get(provider_uuid(provider_id))
    assert isinstance(p, Provider)
    return p


async def test_two_consumers_racing_for_the_last_place_leave_exactly_one_winner(
    settings: Settings, producer: AIOKafkaProducer, kafka_bootstrap: str, topic_prefix: str
) -> None:
    one, two = build(settings), build(settings)  # two members of the service's consumer group
    one.app.handle(
        RegisterProvider(
            spec=ProviderDetails.of(
                {
                    "provider_id": "last-place",
                    "name": "One place",
                    "kind": "pvi",
                    "services": ["respite"],
                    "districts": [],
                    "weekly_capacity": 1,
                    "unit_cost_pence": 1000,
                }
            ),
            caller=COMMISSIONER,
            correlation_id="c",
        )
    )
    async with running(one), running(two):
        cases = [uuid.uuid4() for _ in range(6)]
        for seq, case_id in enumerate(cases, start=1):
            key, value, headers = record(
                package_requested(case_id, "respite", 1), "/maag/panel", seq
            )
            await producer.send_and_wait(
                PANEL_EVENTS.named(topic_prefix), value, key=key, headers=headers
            )
        outcomes = await _outcomes(
            kafka_bootstrap,
            COMMISSIONING_EVENTS.named(topic_prefix),
            {str(c).encode() for c in cases},
            len(cases),
        )
    kinds = sorted(_type(r).split(".")[2] for r in outcomes)
    assert kinds == ["CommissioningFailed"] * 5 + ["PackageCommissioned"]
    failed = [json.loads(r.value) for r in outcomes if _type(r).endswith("CommissioningFailed.v1")]
    assert {f["reason"] for f in failed} == {"no-capacity"}
    provider: Any = one.app.repository.get(provider_uuid("last-place"))
    assert isinstance(provider, Provider) and provider.used == 1 and provider.free == 0
