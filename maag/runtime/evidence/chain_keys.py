"""The keys a service's tamper evidence rests on, derived from MAAG_CHAIN_KEY: a link key
(HMAC) for its hash chain, a seal key (HMAC) for the MAC each stored event carries
(`maag.runtime.store.sealed`), and an Ed25519 key for signing its anchors.

Each service's keys are its own (derived with its name), so one service's chain or anchors
cannot stand in for another's. The database holds neither: someone with only the database
credentials can neither re-chain an altered history nor sign an anchor for one.

The anchors' private key is apart from MAAG_CHAIN_KEY where MAAG_ANCHOR_SIGNING_KEY is given
(only the anchoring process holds it), and `verify` then trusts anchors by the public key
alone (MAAG_ANCHOR_PUBLIC_KEYS): whoever verifies, holding the chain key, cannot sign one.
Without them the Ed25519 key is derived from MAAG_CHAIN_KEY (development only: the chain
key's holder could then sign anchors).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from contracts.events.audit import ChainAnchor
from maag.runtime.settings import Settings
from maag.runtime.store.sealed import derive_seal_key


class ChainKeyMissing(RuntimeError):
    pass


def _derive(master: bytes, purpose: str, service: str) -> bytes:
    return hmac.digest(master, f"maag/{purpose}/{service}".encode(), "sha256")


@dataclass(frozen=True)
class ChainKeys:
    service: str
    link: bytes = field(repr=False)
    signing: Ed25519PrivateKey = field(repr=False)
    seal: bytes = field(repr=False, default=b"")  # the stored events' MAC key
    # the key anchors are checked with (MAAG_ANCHOR_PUBLIC_KEYS); else the signing key's
    verifying: Ed25519PublicKey | None = field(repr=False, default=None)

    @classmethod
    def derive(cls, master: bytes, service: str) -> ChainKeys:
        seed = _derive(master, "anchor", service)
        return cls(
            service,
            _derive(master, "chain", service),
            Ed25519PrivateKey.from_private_bytes(seed),
            derive_seal_key(master, service),
        )

    @classmethod
    def of(cls, settings: Settings, service: str) -> ChainKeys:
        master = settings.chain_key_for(service)
        if master is None:
            raise ChainKeyMissing(
                f"MAAG_CHAIN_KEY is not set (nor {service}'s in MAAG_CHAIN_KEYS): the services "
                "key their hash chains and sign "
                "their anchors with it, and `maag audit verify` checks them with it "
                "(`maag secrets` prints a new one)"
            )
        keys = cls.derive(master, service)
        if settings.anchor_signing_key is not None:
            signing = Ed25519PrivateKey.from_private_bytes(settings.anchor_signing_key)
            keys = dataclasses.replace(keys, signing=signing)
        public = settings.anchor_public_keys
        if (raw := public.get(service, public.get("*"))) is not None:
            keys = dataclasses.replace(keys, verifying=Ed25519PublicKey.from_public_bytes(raw))
        return keys

    @property
    def public(self) -> Ed25519PublicKey:
        return self.verifying or self.signing.public_key()

    @property
    def key_id(self) -> str:
        raw = self.public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return hashlib.sha256(raw).digest()[:8].hex()

    def sign(self, head: int, digest: bytes, at: datetime, reason: str) -> ChainAnchor:
        fields: dict[str, object] = {
            "service": self.service,
            "head": head,
            "hash": digest.hex(),
            "anchored_at": at.isoformat(),
            "reason": reason,
            "key_id": self.key_id,
        }
        unsigned = ChainAnchor.model_validate({**fields, "signature": "A" * 86 + "=="})
        signature = self.signing.sign(unsigned.signed_part())
        return unsigned.model_copy(update={"signature": base64.b64encode(signature).decode()})

    def signed(self, anchor: ChainAnchor) -> bool:
        """Whether `anchor` is this service's, signed with its key."""
        if anchor.service != self.service:
            return False
        try:
            self.public.verify(base64.b64decode(anchor.signature), anchor.signed_part())
        except (InvalidSignature, ValueError):
            return False
        return True
