"""A service's keyring: the data key of each aggregate that holds personal data (a case, a
note, a plan), wrapped by a key-encryption key (`maag.runtime.store.shredding`).

A row per aggregate in the service's own schema: the data key wrapped with AES-256-GCM (the
aggregate's id and the key-encryption key's id as associated data) and which
key-encryption key wrapped it. Rotating a key-encryption key re-wraps these rows and touches no stored event, so the
hash chain over the events still verifies. Erasure deletes the row: the data key exists
nowhere else (this table is mutable; the events are not).

Because it is mutable, every change to it is also appended, in the same transaction, to
its log (`<table>_log`): which aggregate's key was made, re-wrapped (with a digest of what
is stored) or destroyed, each entry MACed with the previous one's MAC under a key derived
from MAAG_CHAIN_KEY (`keyring_log_key`), which the database never holds. `maag audit
verify` replays the log against the table (`maag.runtime.evidence.keyring`): a key row
deleted outside an erasure, one restored after it, one added or altered by someone without
the service's key, or an entry of the log altered, is reported.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from maag.runtime.follow.portable_sql import in_one_statement
from maag.runtime.follow.projection import create_tables
from maag.runtime.settings import Settings
from maag.runtime.store.driver import driver_transaction

NONCE_BYTES = 12

CACHED = 4096  # keys held unwrapped in memory, each for at most CACHE_SECONDS
OWNERS_CACHED = 65_536  # whose case each aggregate is (it never changes): ids only
CACHE_SECONDS = 30.0  # so another replica's erasure is honoured here within this


def keys_name(service: str) -> str:
    return f"{service}_data_keys"


def keys_table(service: str, owner: str = "owner_id") -> Table:
    """The service's keyring table (the referral service's, older, names its column
    `case_id`: its keys were the cases' before they were any aggregate's)."""
    return Table(
        keys_name(service),
        MetaData(),
        Column(owner, Uuid, primary_key=True),
        Column("wrapped", LargeBinary, nullable=False),
        Column("kek_id", String(40), nullable=False),
        Column("made_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


MADE, REWRAPPED, DESTROYED = "made", "rewrapped", "destroyed"
GONE = bytes(32)  # a destroyed key's digest


def keyring_log_key(settings: Settings, service: str) -> bytes | None:
    """The key the service MACs its keyring's log with, from MAAG_CHAIN_KEY (None without
    it: tools and unit tests, whose keyrings keep no log)."""
    master = settings.chain_key_for(service)
    if master is None:
        return None
    return hmac.digest(master, f"maag/keyring/{service}".encode(), "sha256")


def digest_of(wrapped: bytes, kek_id: str) -> bytes:
    """What the log says a key row holds."""
    return hashlib.sha256(wrapped + b"\x1f" + kek_id.encode()).digest()


def log_mac(
    key: bytes, previous: bytes, seq: int, owner_id: UUID, act: str, digest: bytes
) -> bytes:
    message = previous + seq.to_bytes(8, "big") + owner_id.bytes + act.encode() + digest
    return hmac.digest(key, message, "sha256")


def log_table(keys: Table) -> Table:
    """The keyring's log, beside it in its metadata."""
    name = f"{keys.name}_log"
    known = keys.metadata.tables.get(name)
    if known is not None:
        return known
    return Table(
        name,
        keys.metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("owner_id", Uuid, nullable=False),
        Column("act", String(12), nullable=False),
        Column("digest", LargeBinary, nullable=False),
        Column("mac", LargeBinary, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class KeyringError(RuntimeError):
    pass


class SqlKeyring:
    def __init__(
        self,
        engine: Engine,
        keks: tuple[tuple[str, bytes], ...],
        table: Table,
        log_key: bytes | None = None,
    ) -> None:
        if not keks:
            raise KeyringError(
                "MAAG_KEY_ENCRYPTION_KEYS is not set: each case's personal details are "
                "sealed under a data key that a key-encryption key wraps "
                "(`maag secrets` prints one)"
            )
        self.engine = engine
        self.current, _ = keks[0]
        self.keks = dict(keks)
        self.table = table
        self.owner = table.primary_key.columns.values()[0]
        # An aggregate that is part of a case (a note, a plan) uses its case's key: erasing
        # the case destroys one key, and everything sealed for it goes (case id by owner).
        name = f"{table.name}_cases"
        known = table.metadata.tables.get(name)
        self.cases: Table = (
            known
            if known is not None
            else Table(
                name,
                table.metadata,
                Column("owner_id", Uuid, primary_key=True),
                Column("case_id", Uuid, nullable=False, index=True),
            )
        )
        self.log = log_table(table)
        self.log_key = log_key
        self._driver = engine.dialect.name == "postgresql"
        self._sql = _Statements(engine, table, self.log, locked=log_key is not None)
        # (seq, mac) of the log's last entry as this keyring last appended it: the next
        # entry is appended on that assumption by a statement that checks it (`_append`)
        self._last: tuple[int, bytes] | None = None
        self._cache: dict[UUID, tuple[float, bytes]] = {}
        self._case_of: dict[UUID, UUID] = {}  # owner -> case, never changes once recorded
        # New cases' keys wanted at once are made together (`data_key`): one maker at a time,
        # for every case waiting then.
        self._making = threading.Lock()
        self._waiting_lock = threading.Lock()
        self._waiting: dict[UUID, None] = {}  # the new cases whose keys are wanted, in order
        create_tables(table.metadata, engine)
        self._adopt()

    def _adopt(self) -> None:
        """The keys made before the keyring kept a log, entered in it once (its first
        entries): from here on every change is the service's own, logged as made."""
        if self.log_key is None:
            return
        with self.engine.begin() as conn:
            if conn.execute(select(self.log.c.seq).limit(1)).first() is not None:
                return
            rows = conn.execute(select(self.owner, self.table.c.wrapped, self.table.c.kek_id))
            self._logged(conn, [(o, MADE, digest_of(bytes(w), k)) for o, w, k in rows])

    def _logged(self, conn: Connection, entries: Iterable[tuple[UUID, str, bytes]]) -> None:
        """Append `entries` (owner, act, digest) to the log, in the caller's transaction."""
        entries = list(entries)
        if self.log_key is None or not entries:
            return
        if self.engine.dialect.name == "postgresql":
            # one appender at a time: each entry's MAC takes in the one before it
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:t))"), {"t": self.log.name})
        c = self.log.c
        last = conn.execute(select(c.seq, c.mac).order_by(c.seq.desc()).limit(1)).first()
        seq, previous = (int(last[0]), bytes(last[1])) if last is not None else (0, b"")
        rows = []
        for owner_id, act, digest in entries:
            seq += 1
            previous = log_mac(self.log_key, previous, seq, owner_id, act, digest)
            rows.append(
                {"seq": seq, "owner_id": owner_id, "act": act, "digest": digest, "mac": previous}
            )
        conn.execute(in_one_statement(self.log.insert()), rows)
        self._last = (seq, previous)

    def case_of(self, owner_id: UUID, case_id: UUID | None = None) -> UUID:
        """The case whose key `owner_id` uses: `case_id`, recorded the first time it is
        given (an aggregate's first event names its case), else as recorded, else its own."""
        known = self._case_of.get(owner_id)
        if known is not None:
            return known
        if case_id == owner_id:  # its first event says it is the case: nothing to record
            return self._owned(owner_id, owner_id)
        c = self.cases.c
        with self.engine.begin() as conn:
            if case_id is not None and case_id != owner_id:
                dialect = self.engine.dialect.name
                insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(self.cases)
                conn.execute(
                    insert.on_conflict_do_nothing(), {"owner_id": owner_id, "case_id": case_id}
                )
            found: UUID | None = conn.execute(
                select(c.case_id).where(c.owner_id == owner_id)
            ).scalar()
        # none recorded: its own (an aggregate records its case with its first event, before
        # anything of it is sealed or read, so the answer never changes)
        return self._owned(owner_id, found or owner_id)

    def _owned(self, owner_id: UUID, case_id: UUID) -> UUID:
        if len(self._case_of) >= OWNERS_CACHED:
            self._case_of.clear()
        self._case_of[owner_id] = case_id
        return case_id

    def _cached(self, owner_id: UUID) -> bytes | None:
        found = self._cache.get(owner_id)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def _keep(self, owner_id: UUID, key: bytes) -> bytes:
        if len(self._cache) >= CACHED:
            self._cache.clear()
        self._cache[owner_id] = (time.monotonic() + CACHE_SECONDS, key)
        return key

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
        """The case's data key; made (and logged) if it has none.

        On PostgreSQL the keys of every new case wanted at once (concurrent intake requests)
        are made in one transaction, by one of them. Each new key is logged under the log's
        lock, so keys were made one at a time anyway, and each request waiting for that lock
        held one of the engine's few pooled connections: past the pool's size every other
        request opened and closed a connection of its own, the costliest thing the referral
        service did for an HTTP referral. (SQLite: the unit tests' one thread.)"""
        kept = self._cached(case_id)
        if kept is not None or not self._driver:
            return kept if kept is not None else self._made_alone(case_id)
        with self._waiting_lock:
            self._waiting[case_id] = None
        with self._making:
            kept = self._cached(case_id)  # made by the maker before
            if kept is not None:
                return kept
            with self._waiting_lock:
                wanted = list(self._waiting)
                self._waiting.clear()
            if case_id not in wanted:  # taken by a maker whose transaction failed
                wanted.append(case_id)
            if len(wanted) == 1:
                return self._made_alone(case_id)
            return self.make_keys(wanted)[case_id]

    def make_keys(self, case_ids: list[UUID]) -> dict[UUID, bytes]:
        """Each case's key, made and logged in one transaction (committed before any event
        uses them), or the one a case had already (a retry). Kept only once committed."""
        keys = {case_id: os.urandom(32) for case_id in case_ids}
        wrapped = {case_id: self._wrap(case_id, key) for case_id, key in keys.items()}
        rows = [
            {self.owner.name: case_id, "wrapped": w, "kek_id": self.current}
            for case_id, w in wrapped.items()
        ]
        dialect = self.engine.dialect.name
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(self.table)
        with self.engine.begin() as conn:
            made = set(conn.scalars(insert.on_conflict_do_nothing().returning(self.owner), rows))
            # the log's own append: its lock, then its last entry, then the new ones chained
            self._logged(
                conn,
                [(c, MADE, digest_of(wrapped[c], self.current)) for c in case_ids if c in made],
            )
        found = {}
        for case_id in case_ids:
            kept = self._keep(case_id, keys[case_id]) if case_id in made else self.find(case_id)
            assert kept is not None  # it had a key: not made, and not destroyed meanwhile
            found[case_id] = kept
        return found

    def _made_alone(self, case_id: UUID) -> bytes:
        if not self._driver:
            return self.make_keys([case_id])[case_id]
        # One round trip for a new case: the key is made, and kept unless the case has one.
        key = os.urandom(32)
        if self._make(case_id, self._wrap(case_id, key)):
            return self._keep(case_id, key)
        # The case had a key (a retry, or two submissions of one case at once): that one.
        kept = self.find(case_id)
        assert kept is not None
        return kept

    def _make(self, case_id: UUID, wrapped: bytes) -> bool:
        """The key row and its log entry on PostgreSQL, in three statements of psycopg's
        (the lock taken by the insert of the row, before any statement reads the log), and
        whether the case's key was made (not there already)."""
        with driver_transaction(self.engine) as cursor:  # committed before the event using it
            row = (case_id, wrapped, self.current)
            cursor.execute(self._sql.make, row if self.log_key is None else (*row, self.log.name))
            if cursor.fetchone() is None:
                return False
            if self.log_key is not None:
                self._append(cursor, self.log_key, case_id, digest_of(wrapped, self.current))
        return True

    def _append(
        self, cursor: psycopg.Cursor[Any], key: bytes, owner_id: UUID, digest: bytes
    ) -> None:
        """A made key's entry appended to the log (under the lock `_make` took). On the last
        entry this keyring appended, in one statement that appends only if that is still
        the log's last entry (its snapshot taken after the lock, so it is the last for
        as long as this transaction holds the lock); else (another replica's entry, a
        transaction rolled back) on the last entry read, as `_logged` does."""
        known = self._last
        if known is not None:
            seq = known[0] + 1
            mac = log_mac(key, known[1], seq, owner_id, MADE, digest)
            cursor.execute(self._sql.append_after, (seq, owner_id, MADE, digest, mac, *known))
            if cursor.fetchone() is not None:
                self._last = (seq, mac)
                return
        cursor.execute(self._sql.last)
        last = cursor.fetchone()
        seq = int(last[0]) + 1 if last is not None else 1
        mac = log_mac(key, bytes(last[1]) if last is not None else b"", seq, owner_id, MADE, digest)
        cursor.execute(self._sql.append, (seq, owner_id, MADE, digest, mac))
        self._last = (seq, mac)

    def find(self, case_id: UUID) -> bytes | None:
        cached = self._cached(case_id)
        if cached is not None:
            return cached
        t = self.table.c
        with self.engine.connect() as conn:
            row = conn.execute(select(t.wrapped, t.kek_id).where(self.owner == case_id)).first()
        if row is None:
            return None
        return self._keep(case_id, self._unwrap(case_id, bytes(row[0]), row[1]))

    def destroy(self, *owner_ids: UUID) -> int:
        """Destroy these aggregates' keys (an erasure): how many there were."""
        for owner_id in owner_ids:
            self._cache.pop(owner_id, None)
        with self.engine.begin() as conn:
            gone = conn.execute(
                self.table.delete().where(self.owner.in_(owner_ids)).returning(self.owner)
            ).scalars()
            destroyed = list(gone)
            self._logged(conn, [(o, DESTROYED, GONE) for o in destroyed])
        return len(destroyed)

    def rotate(self, batch: int = 1000) -> int:
        """Re-wrap every data key not wrapped by the current key-encryption key."""
        moved = 0
        while True:
            with self.engine.begin() as conn:
                t = self.table.c
                rows = conn.execute(
                    select(self.owner, t.wrapped, t.kek_id)
                    .where(t.kek_id != self.current)
                    .limit(batch)
                    .with_for_update()
                ).all()
                rewrapped = []
                for case_id, wrapped, kek_id in rows:
                    key = self._unwrap(case_id, bytes(wrapped), kek_id)
                    again = self._wrap(case_id, key)
                    conn.execute(
                        self.table.update()
                        .where(self.owner == case_id)
                        .values(wrapped=again, kek_id=self.current)
                    )
                    rewrapped.append((case_id, REWRAPPED, digest_of(again, self.current)))
                self._logged(conn, rewrapped)
            moved += len(rows)
            if len(rows) < batch:
                return moved

    def wrapped_by(self) -> dict[str, int]:
        """How many data keys each key-encryption key wraps."""
        with self.engine.connect() as conn:
            t = self.table.c
            rows = conn.execute(select(t.kek_id, func.count()).group_by(t.kek_id)).all()
        return {kek_id: int(n) for kek_id, n in rows}


class _Statements:
    """A keyring's statements on PostgreSQL, as psycopg is given them (built once: the
    tables' names are the service's)."""

    def __init__(self, engine: Engine, keys: Table, log: Table, locked: bool) -> None:
        quote = engine.dialect.identifier_preparer.quote
        table, owner, entries = (
            quote(keys.name),
            quote(keys.primary_key.columns.values()[0].name),
            quote(log.name),
        )
        make = (
            f"INSERT INTO {table} ({owner}, wrapped, kek_id) VALUES (%s, %s, %s) "
            f"ON CONFLICT DO NOTHING RETURNING {owner}"
        )
        # one appender at a time: each entry's MAC takes in the one before it. The lock is
        # taken once the row is made (none made: no entry, no lock), as a statement of its
        # own after the insert took it, and before the one reading the log's last entry.
        self.make = (
            f"WITH made AS ({make}) SELECT pg_advisory_xact_lock(hashtext(%s)) FROM made"
            if locked
            else make
        )
        columns = "seq, owner_id, act, digest, mac"
        self.last = f"SELECT seq, mac FROM {entries} ORDER BY seq DESC LIMIT 1"
        self.append = f"INSERT INTO {entries} ({columns}) VALUES (%s, %s, %s, %s, %s)"
        self.append_after = (
            f"INSERT INTO {entries} ({columns}) SELECT %s, %s, %s, %s, %s "
            f"FROM ({self.last}) AS last WHERE last.seq = %s AND last.mac = %s RETURNING seq"
        )
