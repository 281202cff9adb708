"""The referral service running on the real broker, database and identity provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from maag.runtime.logging import configure
from services.referral.service import ReferralService, build
from tests.support import identity
from tests.support.referral import CHILD_INDEX_KEYS, CIPHER_KEY, KEKS
from tests.support.running import running, settings_for


@pytest.fixture
async def service(
    kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> AsyncIterator[ReferralService]:
    configure("json")
    settings = await settings_for(
        kafka_bootstrap,
        postgres_url,
        pg_schema,
        topic_prefix,
        cipher_key=CIPHER_KEY,
        key_encryption_keys=KEKS,
        child_index_keys=CHILD_INDEX_KEYS,
        **identity.settings(),
    )
    async with running(build(settings)) as svc:
        yield svc
