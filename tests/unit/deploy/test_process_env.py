"""`maag run` gives each process only its own keys, as SECRETS gives each pod: a service's
own store and chain key out of the per-service maps, and no other process's secrets."""

from __future__ import annotations

import base64
import os

from maag.ops.deployment import process_env
from maag.runtime.settings import Settings

KEYS = {s: base64.b64encode(os.urandom(32)).decode() for s in ("referral", "panel")}
ENV = {
    "MAAG_CIPHER_KEYS": ",".join(f"{s}={k}" for s, k in KEYS.items()),
    "MAAG_CHAIN_KEYS": ",".join(f"{s}={k}" for s, k in KEYS.items()),
    "MAAG_SMTP_PASSWORD": "smtp-secret",
    "MAAG_CHILD_INDEX_KEYS": "local-1=" + KEYS["referral"],
    "MAAG_WEB_SESSION_SECRET": "web-secret",
    "MAAG_POSTGRES_URL": "postgresql://maag@127.0.0.1/maag",
}


def test_a_service_is_given_its_own_keys_and_no_other_process_s() -> None:
    referral = process_env("referral", ENV)
    assert referral["MAAG_CIPHER_KEY"] == referral["MAAG_CHAIN_KEY"] == KEYS["referral"]
    assert "MAAG_CHAIN_KEYS" not in referral and "MAAG_CIPHER_KEYS" not in referral
    assert referral["MAAG_CHILD_INDEX_KEYS"] == ENV["MAAG_CHILD_INDEX_KEYS"]
    assert "MAAG_SMTP_PASSWORD" not in referral and "MAAG_WEB_SESSION_SECRET" not in referral
    assert referral["MAAG_POSTGRES_URL"] == ENV["MAAG_POSTGRES_URL"]  # not a secret setting

    panel = process_env("panel", ENV)
    assert panel["MAAG_CHAIN_KEY"] == KEYS["panel"] and "MAAG_CHILD_INDEX_KEYS" not in panel
    notifications = process_env("notifications", ENV)
    assert notifications["MAAG_SMTP_PASSWORD"] == "smtp-secret"
    assert "MAAG_CHAIN_KEY" not in notifications  # none in the map for it here
    web = process_env("web", ENV)
    assert web["MAAG_WEB_SESSION_SECRET"] == "web-secret"
    assert not {"MAAG_CHAIN_KEY", "MAAG_CIPHER_KEY", "MAAG_SMTP_PASSWORD"} & set(web)


def test_the_tools_read_each_store_with_its_own_key() -> None:
    settings = Settings.from_env(ENV)
    assert settings.cipher_key_for("referral") == KEYS["referral"]
    assert settings.chain_key_for("panel") == base64.b64decode(KEYS["panel"])
    assert settings.chain_key_for("commissioning") is None  # no key: refused where needed
    common = Settings.from_env({"MAAG_CHAIN_KEY": KEYS["panel"]})
    assert common.chain_key_for("referral") == base64.b64decode(KEYS["panel"])  # as before
