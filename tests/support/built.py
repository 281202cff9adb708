"""Every service built as `maag serve` builds it, on its local SQLite store, for tests that
need a service's real parts (its API, its consumer's subscriptions) without a broker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from maag.runtime.settings import Settings
from services.commissioning.service import build as build_commissioning
from services.notifications.service import build as build_notifications
from services.panel.service import build as build_panel
from services.referral.service import build as build_referral
from tests.support import identity
from tests.support.keys import CHAIN_KEY
from tests.support.referral import CHILD_INDEX_KEYS, CIPHER_KEY, KEKS

BUILDERS: dict[str, Callable[[Settings], Any]] = {
    "referral": build_referral,
    "panel": build_panel,
    "commissioning": build_commissioning,
    "notifications": build_notifications,
}


def build_all(folder: Callable[[str], Path], cipher_key: str = CIPHER_KEY) -> dict[str, Any]:
    """name -> the built service (its producer is made but never started); `cipher_key`: the
    key of a store written elsewhere."""

    async def build() -> dict[str, Any]:  # aiokafka makes its producer inside a loop
        return {
            name: make(
                Settings(
                    data_dir=folder(name),
                    cipher_key=cipher_key,
                    chain_key=CHAIN_KEY,
                    key_encryption_keys=KEKS,
                    child_index_keys=CHILD_INDEX_KEYS,
                    **identity.settings(),
                )
            )
            for name, make in BUILDERS.items()
        }

    return asyncio.run(build())
