from __future__ import annotations

from typer.testing import CliRunner

from maag.cli import app


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
