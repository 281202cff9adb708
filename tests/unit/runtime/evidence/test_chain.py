"""The chain's keyed links and the anchors' keys, without a store."""

from __future__ import annotations

import hmac
import os
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maag.runtime.evidence.anchors import trusted
from maag.runtime.evidence.chain import Linker
from maag.runtime.evidence.chain_keys import ChainKeyMissing, ChainKeys
from maag.runtime.settings import Settings, SettingsError, secret_key

MASTER = bytes(range(32))


@given(
    key=st.binary(min_size=1, max_size=100),
    previous=st.binary(min_size=32, max_size=32),
    nid=st.integers(1, 2**63 - 1),
    topic=st.text(max_size=50),
    case=st.none() | st.uuids().map(str),
    state=st.binary(max_size=500),
)
def test_a_link_is_the_hmac_sha256_of_the_framed_event(
    key: bytes, previous: bytes, nid: int, topic: str, case: str | None, state: bytes
) -> None:
    originator = "6f1c1d8e-3c55-4f8e-9a37-0c1f5a1d2b10"
    framed = b"%b%d\x1f%b\x1f%d\x1f%b\x1f%b\x1f%b" % (
        previous,
        nid,
        originator.encode(),
        3,
        topic.encode(),
        (case or "").encode(),
        state,
    )
    assert Linker(key)(previous, nid, originator, 3, topic, case, state) == hmac.digest(
        key, framed, "sha256"
    )


def test_each_service_has_its_own_keys_and_only_its_own_anchors_verify() -> None:
    referral, panel = ChainKeys.derive(MASTER, "referral"), ChainKeys.derive(MASTER, "panel")
    assert referral.link != panel.link and referral.key_id != panel.key_id
    anchor = referral.sign(7, bytes(32), datetime.now(UTC), "interval")
    assert referral.signed(anchor)
    assert not panel.signed(anchor)
    assert not ChainKeys.derive(os.urandom(32), "referral").signed(anchor)
    tampered = anchor.model_copy(update={"head": 8})
    assert not referral.signed(tampered)
    assert "signing" not in repr(referral) and str(referral.link) not in repr(referral)


def test_anchors_are_trusted_only_when_signed_and_others_are_left_to_their_service() -> None:
    keys = ChainKeys.derive(MASTER, "referral")
    good = keys.sign(7, b"\x01" * 32, datetime.now(UTC), "shutdown")
    others = ChainKeys.derive(MASTER, "panel").sign(9, bytes(32), datetime.now(UTC), "interval")
    forged = ChainKeys.derive(bytes(32), "referral").sign(
        9, bytes(32), datetime.now(UTC), "interval"
    )
    records = [
        ("t@0", good.model_dump_json().encode()),
        ("t@1", others.model_dump_json().encode()),
        ("t@2", forged.model_dump_json().encode()),
        ("t@3", b"not json"),
    ]
    anchored, refused = trusted(records, keys)
    assert [(a.head, a.hash) for a in anchored] == [(7, b"\x01" * 32)]
    assert [b.kind for b in refused] == ["forged", "forged"]
    assert "anchor t@2 for notification 9 is not signed" in str(refused[0])
    assert "anchor t@3 unreadable" in str(refused[1])


def test_the_chain_key_is_base64_of_32_bytes_or_more_and_required() -> None:
    assert secret_key({}, "MAAG_CHAIN_KEY") is None
    with pytest.raises(SettingsError, match="MAAG_CHAIN_KEY must be base64"):
        secret_key({"MAAG_CHAIN_KEY": "not base64!"}, "MAAG_CHAIN_KEY")
    with pytest.raises(SettingsError, match="at least 32 bytes, not 16"):
        secret_key({"MAAG_CHAIN_KEY": "AAAAAAAAAAAAAAAAAAAAAA=="}, "MAAG_CHAIN_KEY")
    settings = Settings.from_env({"MAAG_CHAIN_KEY": "A" * 44})
    assert settings.chain_key == bytes(33)
    assert "chain_key" not in repr(settings)
    with pytest.raises(ChainKeyMissing, match="MAAG_CHAIN_KEY is not set"):
        ChainKeys.of(Settings(), "referral")
