"""The referral service's keyring: each case's (and each note's) data key, in the table the
service has always kept them in (`maag.runtime.store.case_keys`)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import SqlKeyring, keyring_log_key, keys_table

KEYS = keys_table("referral", owner="case_id")


def referral_keyring(engine: Engine, settings: Settings) -> SqlKeyring:
    return SqlKeyring(
        engine, settings.key_encryption_keys, KEYS, keyring_log_key(settings, "referral")
    )
