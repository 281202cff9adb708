"""The panel service's keyring: each case's data key, under which the plan's texts about the
family are sealed (`maag.runtime.store.case_keys`); an erasure of the case destroys it."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import SqlKeyring, keyring_log_key, keys_table

KEYS = keys_table("panel")


def panel_keyring(engine: Engine, settings: Settings) -> SqlKeyring:
    return SqlKeyring(
        engine, settings.key_encryption_keys, KEYS, keyring_log_key(settings, "panel")
    )
