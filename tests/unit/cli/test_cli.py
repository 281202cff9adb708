from __future__ import annotations

import pytest
from typer.testing import CliRunner

from maag.ops.cli import app
from tests.support.net import free_port


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("infra", "up", "run", "contracts", "topics", "token", "secrets", "mailbox"):
        assert command in result.output


def test_infra_help_lists_up_down_status() -> None:
    result = CliRunner().invoke(app, ["infra", "--help"])
    assert result.exit_code == 0
    for command in ("up", "down", "status"):
        assert command in result.output


def test_token_mints_nothing_and_says_when_the_provider_is_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAAG_OIDC_ISSUER", f"http://127.0.0.1:{free_port()}/realms/maag")
    result = CliRunner().invoke(app, ["token", "--user", "chair-1"])
    assert result.exit_code == 1
    assert "identity provider" in result.output and "cannot be reached" in result.output
    assert CliRunner().invoke(app, ["token"]).exit_code == 2  # neither a person nor an agency


def test_secrets_print_no_token_signing_key() -> None:
    result = CliRunner().invoke(app, ["secrets"])
    assert result.exit_code == 0
    assert [line.split("=")[0] for line in result.output.splitlines()] == [
        "MAAG_CIPHER_KEYS",  # each service's own
        "MAAG_CHAIN_KEYS",
        "MAAG_KEY_ENCRYPTION_KEYS",
        "MAAG_CHILD_INDEX_KEYS",
        "MAAG_POSTGRES_WRITER_PASSWORD",
    ]
