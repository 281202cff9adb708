"""A child's personal details, sealed under their case's own data key (crypto-shredding).

The details travel in the referral's `Received` event sealed (AES-256-GCM under the case's
data key, the case id as associated data), never in the clear; the data key is kept in the
keyring, wrapped by a key-encryption key. Erasing a case destroys its data key: the sealed
bytes stay in the store, and in the hash chain over it, but no one can read them again.

The fingerprint that recognises a resubmission is an HMAC under the same data key, so it
cannot confirm a guessed child, and is erased with the details.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class PersonalDataErased(Exception):
    """The case's data key is gone: its personal details can no longer be read."""


def seal(key: bytes, case_id: UUID, value: Mapping[str, object]) -> str:
    return seal_bytes(key, case_id, json.dumps(value, sort_keys=True).encode())


def unseal(key: bytes, case_id: UUID, sealed: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(unseal_bytes(key, case_id, sealed))
    return found


def fingerprint(key: bytes, details: Mapping[str, object]) -> str:
    """Which submission made a case (a retry must match it), keyed: useless without the key."""
    return hmac.new(key, json.dumps(details, sort_keys=True).encode(), hashlib.sha256).hexdigest()


def seal_bytes(key: bytes, case_id: UUID, data: bytes) -> str:
    """`seal` for bytes as they are (a document's content): no JSON around them."""
    nonce = os.urandom(NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, data, case_id.bytes)).decode()


def unseal_bytes(key: bytes, case_id: UUID, sealed: str) -> bytes:
    raw = base64.b64decode(sealed)
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], case_id.bytes)
    except InvalidTag as e:  # not this case's key, or the bytes were changed
        raise PersonalDataErased(f"the personal details of case {case_id} do not open") from e
