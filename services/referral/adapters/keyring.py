"""The referral service's keyring: each case's data key, wrapped by a key-encryption key.

A row per case in the service's own schema: the data key wrapped with AES-256-GCM (the case
id and the key-encryption key's id as associated data) and which key-encryption key wrapped
it. Rotating a key-encryption key re-wraps these rows and touches no stored event, so the
hash chain over the events still verifies. Erasure deletes the row: the data key exists
nowhere else (this table is mutable; the events are not).
"""

from __future__ import annotations

import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, DateTime, LargeBinary, MetaData, String, Table, Uuid, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from maag.runtime.follow.projection import create_tables

NONCE_BYTES = 12

metadata = MetaData()
data_keys = Table(
    "referral_data_keys",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("kek_id", String(40), nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


class KeyringError(RuntimeError):
    pass


class SqlKeyring:
    def __init__(self, engine: Engine, keks: tuple[tuple[str, bytes], ...]) -> None:
        if not keks:
            raise KeyringError(
                "MAAG_KEY_ENCRYPTION_KEYS is not set: each case's personal details are "
                "sealed under a data key that a key-encryption key wraps "
                "(`maag secrets` prints one)"
            )
        self.engine = engine
        self.current, _ = keks[0]
        self.keks = dict(keks)
        create_tables(metadata, engine)

    def _wrap(self, case_id: UUID, key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        aad = case_id.bytes + self.current.encode()
        return nonce + AESGCM(self.keks[self.current]).encrypt(nonce, key, aad)

    def _unwrap(self, case_id: UUID, wrapped: bytes, kek_id: str) -> bytes:
        kek = self.keks.get(kek_id)
        if kek is None:
            raise KeyringError(
                f"case {case_id}'s data key is wrapped by key-encryption key {kek_id}, which "
                "MAAG_KEY_ENCRYPTION_KEYS no longer lists (keep a retired key until "
                "`maag privacy rotate-keys` has re-wrapped everything)"
            )
        aad = case_id.bytes + kek_id.encode()
        try:
            return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
        except InvalidTag as e:
            raise KeyringError(f"case {case_id}'s data key does not unwrap with {kek_id}") from e

    def data_key(self, case_id: UUID) -> bytes:
        # One round trip for a new case: the key is made, and kept unless the case has one.
        key = os.urandom(32)
        row = {"case_id": case_id, "wrapped": self._wrap(case_id, key), "kek_id": self.current}
        dialect = self.engine.dialect.name
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(data_keys)
        with self.engine.begin() as conn:  # committed before the event that uses it
            made = conn.execute(
                insert.on_conflict_do_nothing().returning(data_keys.c.case_id), row
            ).first()
        if made is not None:
            return key
        # The case had a key (a retry, or two submissions of one case at once): that one.
        kept = self.find(case_id)
        assert kept is not None
        return kept

    def find(self, case_id: UUID) -> bytes | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(data_keys.c.wrapped, data_keys.c.kek_id).where(
                    data_keys.c.case_id == case_id
                )
            ).first()
        return None if row is None else self._unwrap(case_id, bytes(row[0]), row[1])

    def destroy(self, case_id: UUID) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(data_keys.delete().where(data_keys.c.case_id == case_id))
        return bool(done.rowcount)

    def rotate(self, batch: int = 1000) -> int:
        """Re-wrap every data key not wrapped by the current key-encryption key."""
        moved = 0
        while True:
            with self.engine.begin() as conn:
                rows = conn.execute(
                    select(data_keys.c.case_id, data_keys.c.wrapped, data_keys.c.kek_id)
                    .where(data_keys.c.kek_id != self.current)
                    .limit(batch)
                    .with_for_update()
                ).all()
                for case_id, wrapped, kek_id in rows:
                    key = self._unwrap(case_id, bytes(wrapped), kek_id)
                    conn.execute(
                        data_keys.update()
                        .where(data_keys.c.case_id == case_id)
                        .values(wrapped=self._wrap(case_id, key), kek_id=self.current)
                    )
            moved += len(rows)
            if len(rows) < batch:
                return moved

    def wrapped_by(self) -> dict[str, int]:
        """How many data keys each key-encryption key wraps."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(data_keys.c.kek_id, func.count()).group_by(data_keys.c.kek_id)
            ).all()
        return {kek_id: int(n) for kek_id, n in rows}
