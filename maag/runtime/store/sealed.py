"""Stored events bound to where they belong: each event the service stores carries a MAC,
under a key the database never holds, over (originator id, version, topic, state as stored),
and where the store encrypts, its AES-GCM associated data is (originator id, version, topic).

So a row inserted, altered, or copied onto another aggregate (another case) by someone with
only the database — even its superuser — no longer checks: the service refuses to decode it,
and `maag audit verify` names its notification (`maag.runtime.evidence.chain`).

The one place the library is reached for this: eventsourcing builds its mapper from
`MAPPER_TOPIC` and its cipher from `CIPHER_TOPIC` (constructed with the application's
environment), both public settings; `sealing_env` names the classes below, and
`ServiceApplication` merges it into the library's environment. `SealingMapper` overrides the
mapper's two public methods (`to_stored_event`, `to_domain_event`) and keeps the library's
transcoding; tests/unit/runtime/evidence/test_sealed.py fails if the library stops building
the mapper and cipher this way or changes the legacy formats read here.

Stored form of a sealed event: MAGIC (8 bytes) + MAC (32) + body, where body is the
(compressed) transcoded state, AES-GCM encrypted with the associated data where the store
encrypts (nonce 12 + ciphertext + tag 16). A state without MAGIC is the previous release's
(no MAC, no associated data; JSON starts with "{", zlib with 0x78, and the library's AES-GCM
with a random nonce, which starts with MAGIC once in 2^64): decoded as before. Whether such an
unsealed event is legitimate is not the mapper's call: the chain records the cut-over (the
last notification the previous release may have stored), and `verify` reports every unsealed
event after it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import (
    Cipher,
    MapperDeserialisationError,
    StoredEvent,
)
from eventsourcing.persistence import Mapper as _Mapper
from eventsourcing.utils import Environment

from maag.runtime.settings import Settings
from maag.runtime.store.shredding import CaseKeys, open_state, seal_state, withheld_of

MAGIC = b"\x00maag\x1fs1"  # no JSON, zlib output or likely nonce starts with it
assert len(MAGIC) == 8  # the tamper check's walk slices it so
MAC_SIZE = 32
BODY = len(MAGIC) + MAC_SIZE  # where a sealed event's body starts
SEAL_KEY = "EVENT_SEAL_KEY"  # the library environment's name for the service's seal key


def derive_seal_key(master: bytes, service: str) -> bytes:
    """The service's event-seal key, from MAAG_CHAIN_KEY (as its chain and anchor keys are)."""
    return hmac.digest(master, f"maag/seal/{service}".encode(), "sha256")


def sealing_env(settings: Settings, app_name: str) -> dict[str, str]:
    """The library settings that select the sealing mapper and cipher for `app_name`. Without
    MAAG_CHAIN_KEY the mapper reads sealed events (checking associated data, not MACs) and
    writes unsealed ones: only tools and tests run so; a service refuses to start without the
    key (`ChainKeys.of`), and `verify` reports any unsealed event past the cut-over."""
    env = {
        "MAPPER_TOPIC": f"{__name__}:SealingMapper",
        "CIPHER_TOPIC": f"{__name__}:SealingCipher",
    }
    if (master := settings.chain_key_for(app_name)) is not None:
        key = derive_seal_key(master, app_name.lower())
        env[SEAL_KEY] = base64.b64encode(key).decode()
    return env


def where(originator_id: str, version: int, topic: str) -> bytes:
    """What binds an event to its place: the associated data, and the start of the MAC's
    message (ids as hyphenated lowercase text, as PostgreSQL prints a uuid)."""
    return b"%b\x1f%d\x1f%b\x1f" % (originator_id.encode(), version, topic.encode())


class Sealer:
    """HMAC-SHA256 of where + body under the seal key, pads hashed once (as `Linker`; the
    tamper check's walk uses `inner` and `outer` directly)."""

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def __call__(self, originator_id: str, version: int, topic: str, body: bytes) -> bytes:
        inner = self.inner.copy()
        inner.update(where(originator_id, version, topic))
        inner.update(body)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()


class SealBroken(MapperDeserialisationError):
    """A stored event whose MAC or associated data does not match where it is stored."""


class SealingCipher(Cipher):
    """Holds the service's seal key and, where the store encrypts, its AES key. The library
    constructs it from the environment (`CIPHER_TOPIC`); `SealingMapper` uses it."""

    def __init__(self, environment: Environment) -> None:
        seal = environment.get(SEAL_KEY)
        self.sealer = Sealer(base64.b64decode(seal)) if seal else None
        cipher_key = environment.get("CIPHER_KEY")
        self.aes = AESGCM(base64.b64decode(cipher_key)) if cipher_key else None

    # The library's Cipher interface, in its own (legacy, no associated data) format: what the
    # previous release stored, so that anything still calling it reads that.
    def encrypt(self, plaintext: bytes) -> bytes:
        if self.aes is None:
            return plaintext
        nonce = os.urandom(12)
        sealed = self.aes.encrypt(nonce, plaintext, None)
        return nonce + sealed[-16:] + sealed[:-16]

    def decrypt(self, ciphertext: bytes) -> bytes:
        if self.aes is None:
            return ciphertext
        nonce, tag, encrypted = ciphertext[:12], ciphertext[12:28], ciphertext[28:]
        try:
            return self.aes.decrypt(nonce, encrypted + tag, None)
        except InvalidTag as e:
            raise ValueError("Invalid cipher tag") from e


class PersonalDataUnsealed(RuntimeError):
    """An event with personal data to store and no keyring to seal it under."""


class SealingMapper(_Mapper[Any]):
    """The library's mapper, sealing what it stores and checking the seal of what it reads;
    with the service's keyring (`ServiceApplication.keep_keys`), each event's personal data
    sealed under its aggregate's own key too (`maag.runtime.store.shredding`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The library's own transcoding and compression, without its cipher: the body.
        self._plain = _Mapper[Any](self.transcoder, self.compressor, None)
        self.case_keys: CaseKeys | None = None

    def _shredded(self, domain_event: Any) -> Any:
        """The event as stored: its personal data sealed under its case's key."""
        cls = type(domain_event)
        state = vars(domain_event)
        keys = self.case_keys
        if keys is not None and domain_event.originator_version == 1:
            # an aggregate's first event names its case (a note's, a plan's): its key is that
            named = state.get("case_id")
            if isinstance(named, UUID):
                keys.case_of(domain_event.originator_id, named)
        if not withheld_of(cls):
            return domain_event
        if keys is None:
            if any(state.get(name) is not None for name in withheld_of(cls)):
                raise PersonalDataUnsealed(
                    f"{cls.__qualname__} holds personal data and this application keeps no "
                    "keyring to seal it under (ServiceApplication.keep_keys)"
                )
            return domain_event
        sealed = seal_state(cls, domain_event.originator_id, state, keys, self.transcoder.encode)
        if sealed is state:
            return domain_event
        copy = object.__new__(cls)
        object.__setattr__(copy, "__dict__", sealed)
        return copy

    def _opened(self, domain_event: Any) -> Any:
        open_state(
            type(domain_event),
            domain_event.originator_id,
            vars(domain_event),
            self.case_keys,
            self.transcoder.decode,
        )
        return domain_event

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        domain_event = self._shredded(domain_event)
        cipher = self.cipher
        assert isinstance(cipher, SealingCipher), "CIPHER_TOPIC must name SealingCipher"
        if cipher.sealer is None:  # no key (tools and tests): the library's own form
            return super().to_stored_event(domain_event)
        plain = self._plain.to_stored_event(domain_event)
        originator_id = str(plain.originator_id)
        bound = where(originator_id, plain.originator_version, plain.topic)
        body = plain.state
        if cipher.aes is not None:
            nonce = os.urandom(12)
            body = nonce + cipher.aes.encrypt(nonce, body, bound)
        mac = cipher.sealer(originator_id, plain.originator_version, plain.topic, body)
        return StoredEvent(
            originator_id=plain.originator_id,
            originator_version=plain.originator_version,
            topic=plain.topic,
            state=MAGIC + mac + body,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state = stored_event.state
        if not state.startswith(MAGIC):  # the previous release's (see the module's note)
            return self._opened(super().to_domain_event(stored_event))
        cipher = self.cipher
        assert isinstance(cipher, SealingCipher), "CIPHER_TOPIC must name SealingCipher"
        originator_id = str(stored_event.originator_id)
        version, topic = stored_event.originator_version, stored_event.topic
        body = state[BODY:]
        place = f"{topic} {originator_id} v{version}"
        if cipher.sealer is not None and not hmac.compare_digest(
            cipher.sealer(originator_id, version, topic, body), state[len(MAGIC) : BODY]
        ):
            raise SealBroken(f"{place}: not sealed there by the service (moved or altered)")
        if cipher.aes is not None:
            try:
                body = cipher.aes.decrypt(
                    body[:12], body[12:], where(originator_id, version, topic)
                )
            except InvalidTag:
                raise SealBroken(
                    f"{place}: encrypted for another place (moved or altered)"
                ) from None
        plain = StoredEvent(
            originator_id=stored_event.originator_id,
            originator_version=version,
            topic=topic,
            state=body,
        )
        return self._opened(self._plain.to_domain_event(plain))
