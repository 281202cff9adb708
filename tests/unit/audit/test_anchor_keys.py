"""`maag audit anchor-keys` prints a matching Ed25519 pair that the settings read: the
services sign with the private key, the verifier trusts by the public key alone."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from typer.testing import CliRunner

from maag.ops.cli import app
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.settings import Settings


def test_the_printed_pair_signs_and_verifies_and_the_chain_key_alone_does_not() -> None:
    result = CliRunner().invoke(app, ["audit", "anchor-keys"])
    assert result.exit_code == 0
    env = dict(line.split("=", 1) for line in result.output.splitlines())
    assert set(env) == {"MAAG_ANCHOR_SIGNING_KEY", "MAAG_ANCHOR_PUBLIC_KEYS"}
    chain_key = os.urandom(32)
    read = Settings.from_env(env)
    service = ChainKeys.of(
        Settings(chain_key=chain_key, anchor_signing_key=read.anchor_signing_key), "panel"
    )
    verifier = ChainKeys.of(
        Settings(chain_key=chain_key, anchor_public_keys=read.anchor_public_keys),
        "panel",
    )
    anchor = service.sign(5, bytes(32), datetime.now(UTC), "interval")
    assert verifier.signed(anchor)
    # the verifier's own (derived) signing key makes anchors it does not trust
    assert not verifier.signed(verifier.sign(5, bytes(32), datetime.now(UTC), "interval"))
