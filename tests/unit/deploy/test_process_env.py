"""`maag run` gives each process only its own keys, as SECRETS gives each pod: a service's
own store and chain key out of the per-service maps, and no other process's secrets."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

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
    # both given: the one key stands for every store (a test's, an operator's own copy)
    both = Settings.from_env({**ENV, "MAAG_CIPHER_KEY": KEYS["panel"]})
    assert both.cipher_key_for("referral") == KEYS["panel"]


def test_a_key_the_environment_gives_is_not_overruled_by_the_local_files_map(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the tools read .maag/secrets.env (a map of each service's keys, when `maag up` made
    # it); an operator's own MAAG_CIPHER_KEY for a store must still be the key that opens it
    from maag.ops.cli import _local_keys
    from maag.ops.infra.layout import Layout

    (tmp_path / "secrets.env").write_text(
        f"MAAG_CIPHER_KEYS={ENV['MAAG_CIPHER_KEYS']}\nMAAG_CHAIN_KEYS={ENV['MAAG_CHAIN_KEYS']}\n"
    )
    monkeypatch.setenv("MAAG_HOME", str(tmp_path))
    monkeypatch.setenv("MAAG_CIPHER_KEY", KEYS["panel"])
    monkeypatch.delenv("MAAG_CIPHER_KEYS", raising=False)
    monkeypatch.delenv("MAAG_CHAIN_KEY", raising=False)
    monkeypatch.delenv("MAAG_CHAIN_KEYS", raising=False)
    _local_keys(Layout.from_env())
    assert "MAAG_CIPHER_KEYS" not in os.environ  # the environment's own key stands
    assert os.environ["MAAG_CHAIN_KEYS"] == ENV["MAAG_CHAIN_KEYS"]  # none given: the file's
    assert Settings.from_env().cipher_key_for("referral") == KEYS["panel"]
