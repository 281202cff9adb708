"""The chain anchors every service publishes on `maag.audit.anchors`: the head of its
hash chain, signed, so that a history rewritten inside the database can be told from the
one that was anchored (`maag audit verify`)."""

from __future__ import annotations

import json
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.classification import OPERATIONAL
from contracts.strict import Timestamp

ANCHOR_SIGNATURE_CHARS = 88  # an Ed25519 signature (64 bytes) in base64


class ChainAnchor(BaseModel):
    """A service's chain head as it stood at `anchored_at`, signed with the service's
    anchor key (Ed25519 over the other fields as canonical JSON: sorted keys, no spaces)."""

    TYPE: ClassVar[str] = "maag.audit.ChainAnchor.v1"
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: Annotated[str, OPERATIONAL] = Field(
        max_length=40, pattern=r"^[a-z][a-z0-9-]{0,39}$", description="Whose chain."
    )
    head: Annotated[int, OPERATIONAL] = Field(
        ge=1, le=2**63 - 1, description="The last notification chained."
    )
    hash: Annotated[str, OPERATIONAL] = Field(
        max_length=64,
        pattern=r"^[0-9a-f]{64}$",
        description="The chain's link at `head`.",
    )
    anchored_at: Annotated[Timestamp, OPERATIONAL]
    reason: Annotated[Literal["interval", "shutdown"], OPERATIONAL] = Field(
        description="Anchored on the schedule, or as the service stopped."
    )
    key_id: Annotated[str, OPERATIONAL] = Field(
        max_length=16,
        pattern=r"^[0-9a-f]{16}$",
        description="The first 8 bytes of SHA-256 of the public key.",
    )
    signature: Annotated[str, OPERATIONAL] = Field(
        max_length=ANCHOR_SIGNATURE_CHARS,
        pattern=r"^[A-Za-z0-9+/]{86}==$",  # base64 of the 64-byte Ed25519 signature
    )

    def signed_part(self) -> bytes:
        return canonical(self.model_dump(mode="json", exclude={"signature"}))


def canonical(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
