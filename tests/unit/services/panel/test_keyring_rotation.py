"""The panel's own keyring is rotated as the referral's is: `maag privacy rotate-keys
--service panel` re-wraps its data keys under the first key-encryption key."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from maag.ops.cli import app
from maag.runtime.settings import Settings
from services.panel.service import keyring


def test_the_panel_keyring_is_rotated_by_the_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old, new = os.urandom(32), os.urandom(32)
    made = keyring(Settings(data_dir=tmp_path, key_encryption_keys=(("old", old),)))
    key = made.data_key(case := uuid.uuid4())
    monkeypatch.setenv("MAAG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MAAG_POSTGRES_URL", raising=False)
    monkeypatch.setenv("MAAG_DATA_DIR", str(tmp_path))
    keks = f"new={base64.b64encode(new).decode()},old={base64.b64encode(old).decode()}"
    monkeypatch.setenv("MAAG_KEY_ENCRYPTION_KEYS", keks)
    result = CliRunner().invoke(app, ["privacy", "rotate-keys", "--service", "panel"])
    assert result.exit_code == 0, result.output
    assert "1 data keys re-wrapped with new" in result.output
    only_new = keyring(Settings(data_dir=tmp_path, key_encryption_keys=(("new", new),)))
    assert only_new.find(case) == key
    refused = CliRunner().invoke(app, ["privacy", "rotate-keys", "--service", "web"])
    assert refused.exit_code == 2 and "--service is one of referral, panel" in refused.output
