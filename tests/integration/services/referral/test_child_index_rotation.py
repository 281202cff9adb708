"""The child-index key rotated on the real database, beside the running service: every
entry re-computed under the new key from the sealed details, an erased case's dropped, and
a child referred before the rotation still found by the service once the old key is gone."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from contracts.events.referral import ChildDetails
from contracts.reference import Role
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.logging import configure
from maag.runtime.settings import Settings
from services.referral.adapters.child_index import keys_table
from services.referral.domain.matching import match_keys
from services.referral.service import build, rotate_child_index
from tests.support import identity
from tests.support.identity import auth
from tests.support.referral import CHILD_INDEX_KEYS, CIPHER_KEY, KEKS, details
from tests.support.running import running, settings_for

CHILD = {
    "given_name": "Jayden",
    "family_name": "Smith",
    "date_of_birth": "2015-06-01",
    "address": "4 Mill Lane, Harlow CM20 1AB",
}
NEW_KEY = ("index-2", os.urandom(32))


@pytest.fixture
async def settings(
    kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> Settings:
    configure("json")
    return await settings_for(
        kafka_bootstrap,
        postgres_url,
        pg_schema,
        topic_prefix,
        cipher_key=CIPHER_KEY,
        key_encryption_keys=KEKS,
        child_index_keys=CHILD_INDEX_KEYS,
        **identity.settings(),
    )


@pytest.fixture
async def service_with(settings: Settings) -> AsyncIterator[Any]:
    """Runs the service with the given settings (a restart with new keys: the next one)."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(with_settings: Settings) -> TestClient:
            svc = await stack.enter_async_context(running(build(with_settings)))
            return TestClient(svc.api)

        yield start


async def _refer(client: TestClient, child: dict[str, Any], caf: str) -> dict[str, Any]:
    r = await asyncio.to_thread(
        client.post,
        "/referrals",
        json=details(caf_reference=caf, child=child),
        headers={**auth(), "Idempotency-Key": f"key-{caf}"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _stored(settings: Settings) -> dict[tuple[UUID, str], bytes]:
    engine = read_model_engine(settings, "referral")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(keys_table.c.case_id, keys_table.c.kind, keys_table.c.token)
            ).all()
    finally:
        engine.dispose()
    return {(r.case_id, r.kind): bytes(r.token) for r in rows}


def _under(key: bytes, case_id: str, child: dict[str, Any]) -> dict[tuple[UUID, str], bytes]:
    keys = match_keys(ChildDetails.model_validate(child))
    return {
        (UUID(case_id), k.value): hmac.digest(key, v.encode(), hashlib.sha256)
        for k, v in keys.items()
    }


async def test_a_rotation_rekeys_the_index_in_postgres_beside_the_running_service(
    settings: Settings, service_with: Any
) -> None:
    client = await service_with(settings)
    first = await _refer(client, CHILD, "CAF-2026-000601")
    other_child = {**CHILD, "date_of_birth": "2016-02-02"}
    erased = await _refer(client, other_child, "CAF-2026-000602")
    assert _stored(settings) == {
        **_under(CHILD_INDEX_KEYS[0][1], first["case_id"], CHILD),
        **_under(CHILD_INDEX_KEYS[0][1], erased["case_id"], other_child),
    }
    r = await asyncio.to_thread(
        client.post,
        f"/privacy/cases/{erased['case_id']}/erasure",
        json={"reason": "retention period ended"},
        headers=auth(Role.PRIVACY_OFFICER, "county-information-governance"),
    )
    assert r.status_code == 200, r.text

    rotating = dataclasses.replace(settings, child_index_keys=(NEW_KEY, *CHILD_INDEX_KEYS))
    done = await asyncio.to_thread(rotate_child_index, rotating)
    assert (done.rekeyed, done.forgotten, done.skipped) == (1, 0, 0)
    assert _stored(settings) == _under(NEW_KEY[1], first["case_id"], CHILD)

    # the old key dropped: a new referral of the child still meets the first
    client = await service_with(dataclasses.replace(settings, child_index_keys=(NEW_KEY,)))
    variant = {**CHILD, "given_name": "Jaden", "family_name": "Smyth"}
    again = await _refer(client, variant, "CAF-2026-000603")
    r = await asyncio.to_thread(
        client.get, f"/referrals/{again['case_id']}/matches", headers=auth()
    )
    assert [o["child_id"] for o in r.json()] == [first["child_id"]]
