"""What a stored event holds about the child and family, sealed under its aggregate's own
data key, so that destroying the key erases it from the store (crypto-shredding).

Which values these are is read from each event attribute's declared class
(`contracts.classification`): every identifying or special-category value, or part of a
value (`Parts`), is stored as `{"maag:sealed": <nonce + AES-256-GCM ciphertext>}` under the
data key of the aggregate that stored it, with its place (aggregate id, attribute, part) as
associated data. The rest of the event stays as it was, so the decisions remain readable
after an erasure: a sealed value whose key is gone reads as None, and every `apply` that
reads a withheld value takes None as "erased".

The keys are the service's own (`CaseKeys`): made when an aggregate first stores such a
value, destroyed by the service's erasure. Events stored by the previous release hold their
values under the store's cipher only; the note in deploy/README.md says what that means.
"""

from __future__ import annotations

import base64
import os
import typing
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from contracts.classification import of_mark, parts_of

SEALED = "maag:sealed"
NONCE_BYTES = 12
WHOLE = frozenset[str]()  # a value sealed whole, not part by part


class CaseKeys(Protocol):
    """A service's data keys, one per case (or per aggregate that is no case's)."""

    def case_of(self, owner_id: UUID, case_id: UUID | None = None) -> UUID:
        """Whose key the aggregate `owner_id` uses: its case's (`case_id` when its event
        names it; recorded so its later events, which do not, find it), else its own."""
        ...

    def data_key(self, owner_id: UUID) -> bytes:
        """The aggregate's key, made (and committed) if it has none yet."""
        ...

    def find(self, owner_id: UUID) -> bytes | None:
        """The aggregate's key, or None: never made, or destroyed by an erasure."""
        ...

    def destroy(self, *owner_ids: UUID) -> int:
        """Destroy these aggregates' keys (an erasure): how many there were."""
        ...


def withheld_of(event_class: type) -> Mapping[str, frozenset[str]]:
    """The attributes of `event_class` that are sealed, and for each the parts that are
    (`WHOLE`: all of it)."""
    known = _WITHHELD.get(event_class)
    if known is not None:  # read once per class: every event stored and read asks
        return known
    found: dict[str, frozenset[str]] = {}
    for name, hint in typing.get_type_hints(event_class, include_extras=True).items():
        metadata = getattr(hint, "__metadata__", ())
        declared = of_mark(metadata)
        if declared is None or not declared.withheld:
            continue
        parts = parts_of(metadata)
        found[name] = parts.withheld() if parts is not None else WHOLE
    _WITHHELD[event_class] = found
    return found


_WITHHELD: dict[type, Mapping[str, frozenset[str]]] = {}


def _place(owner_id: UUID, name: str, part: str | None) -> bytes:
    return f"{owner_id}\x1f{name}\x1f{part or ''}".encode()


# The store's own transcoding of one value (a UUID or a date as well as JSON's types).
Encode = Callable[[Any], bytes]
Decode = Callable[[bytes], Any]


def _seal(key: bytes, place: bytes, value: object, encode: Encode) -> dict[str, str]:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, encode(value), place)
    return {SEALED: base64.b64encode(nonce + sealed).decode()}


def _is_sealed(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1 and SEALED in value


def _open(key: bytes | None, place: bytes, value: object, decode: Decode) -> object:
    if not _is_sealed(value):
        return value  # stored in the clear (by the previous release)
    if key is None:
        return None  # erased
    assert isinstance(value, dict)
    raw = base64.b64decode(value[SEALED])
    try:
        return decode(AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], place))
    except InvalidTag:  # the row is sealed by the mapper too: only a wrong key gets here
        return None


def seal_state(
    event_class: type, owner_id: UUID, state: dict[str, Any], keys: CaseKeys, encode: Encode
) -> dict[str, Any]:
    """`state` with its withheld values sealed under `owner_id`'s key (a copy where any is)."""
    withheld = withheld_of(event_class)
    present = [n for n in withheld if state.get(n) is not None]
    if not present:
        return state
    key = keys.data_key(keys.case_of(owner_id))
    sealed = dict(state)
    for name in present:
        parts, value = withheld[name], state[name]
        if parts and isinstance(value, Mapping):
            sealed[name] = {
                k: _seal(key, _place(owner_id, name, k), v, encode)
                if k in parts and v is not None
                else v
                for k, v in value.items()
            }
        else:
            sealed[name] = _seal(key, _place(owner_id, name, None), value, encode)
    return sealed


def open_state(
    event_class: type,
    owner_id: UUID,
    state: dict[str, Any],
    keys: CaseKeys | None,
    decode: Decode,
) -> None:
    """Open `state`'s sealed values in place: None where the key is gone (or not held)."""
    withheld = withheld_of(event_class)
    sealed = [
        name
        for name, parts in withheld.items()
        if _is_sealed(value := state.get(name))
        or (parts and isinstance(value, dict) and any(_is_sealed(v) for v in value.values()))
    ]
    if not sealed:
        return
    key = keys.find(keys.case_of(owner_id)) if keys is not None else None
    for name in sealed:
        parts, value = withheld[name], state[name]
        if parts and not _is_sealed(value):
            state[name] = {
                k: _open(key, _place(owner_id, name, k), v, decode) if k in parts else v
                for k, v in value.items()
            }
        else:
            state[name] = _open(key, _place(owner_id, name, None), value, decode)
