"""The child index: each referral's match keys, keyed, so a new referral of a known child is
found without anyone's details being stored or compared in the clear.

A row per referral and kind of key (`services.referral.domain.matching`): the key as an
HMAC-SHA256 under the index key (derived from the store's cipher key, so it is as secret as
the store itself), the referral and the child it belongs to. A guessed child cannot be
looked up without the key, and the keys of an erased case are deleted with its data key.
The rows are a side table like the keyring (mutable); the links between referrals and
children are events on the referrals.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from maag.runtime.follow.projection import create_tables
from services.referral.domain.matching import Key, likely
from services.referral.domain.values import Offer

# Referrals looked at per key, and children offered at most (the most recently referred):
# enough for any real child, and a bound on the work and the offers a much-referred child
# not yet confirmed (or a test child referred thousands of times) can cause.
PER_KEY = 50
MOST_OFFERS = 5

metadata = MetaData()
keys_table = Table(
    "referral_child_keys",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("token", LargeBinary, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("child_id", Uuid, nullable=False, index=True),
    Index("referral_child_keys_token", "token", "seq"),
    UniqueConstraint("case_id", "kind", name="referral_child_keys_case_kind"),
)


def index_key(cipher_key: str) -> bytes:
    """The child index's HMAC key, derived from the store's cipher key."""
    return hmac.digest(base64.b64decode(cipher_key), b"maag referral child index v1", "sha256")


class SqlChildIndex:
    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine = engine
        self.key = key
        create_tables(metadata, engine)

    def _token(self, value: str) -> bytes:
        return hmac.digest(self.key, value.encode(), hashlib.sha256)

    def place(self, case_id: UUID, child_id: UUID, keys: Mapping[Key, str]) -> list[Offer]:
        """Index a new referral's keys under `child_id` (again, after a failed attempt: the
        same rows), and return the children its keys likely match (not this referral's).
        In PostgreSQL one statement does both (one round trip on the intake's path): the
        lookup reads the table as it was before the insert."""
        if not keys:
            return []
        rows = [
            {"token": self._token(v), "kind": k.value, "case_id": case_id, "child_id": child_id}
            for k, v in keys.items()
        ]
        each = [
            select(keys_table.c.kind, keys_table.c.case_id, keys_table.c.child_id, keys_table.c.seq)
            .where(keys_table.c.token == row["token"])
            .where(keys_table.c.case_id != case_id)
            .order_by(keys_table.c.seq.desc())
            .limit(PER_KEY)
            .subquery()
            for row in rows
        ]
        lookup = union_all(*(select(*q.c) for q in each))
        postgres = self.engine.dialect.name == "postgresql"
        insert = (pg_insert if postgres else sqlite_insert)(keys_table).values(rows)
        upsert = insert.on_conflict_do_update(
            index_elements=["case_id", "kind"],
            set_={"token": insert.excluded.token, "child_id": insert.excluded.child_id},
        )
        with self.engine.begin() as conn:
            if postgres:
                found = conn.execute(lookup.add_cte(upsert.cte("indexed"))).all()
            else:
                found = conn.execute(lookup).all()
                conn.execute(upsert)
        return _offers(found)

    def relink(self, case_id: UUID, child_id: UUID) -> None:
        """The referral was confirmed to be `child_id`'s."""
        with self.engine.begin() as conn:
            conn.execute(
                keys_table.update().where(keys_table.c.case_id == case_id).values(child_id=child_id)
            )

    def forget(self, case_id: UUID) -> None:
        """The case's details were erased: its keys go with them."""
        with self.engine.begin() as conn:
            conn.execute(keys_table.delete().where(keys_table.c.case_id == case_id))


def _offers(found: Sequence[Any]) -> list[Offer]:
    """The likely children among the referrals found, the most recently referred first."""
    met: dict[UUID, set[Key]] = defaultdict(set)
    cases: dict[UUID, set[UUID]] = defaultdict(set)
    latest: dict[UUID, int] = defaultdict(int)
    for kind, case, child, seq in found:
        met[child].add(Key(kind))
        cases[child].add(case)
        latest[child] = max(latest[child], seq)
    likeliest = sorted((c for c, m in met.items() if likely(m)), key=lambda c: -latest[c])
    return [
        Offer(
            child, tuple(sorted(cases[child], key=str)), tuple(sorted(k.value for k in met[child]))
        )
        for child in sorted(likeliest[:MOST_OFFERS], key=str)
    ]
