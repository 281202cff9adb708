"""The child index: each referral's match keys, keyed, so a new referral of a known child is
found without anyone's details being stored or compared in the clear.

A row per referral and kind of key (`services.referral.domain.matching`): the key as an
HMAC-SHA256 under the child-index key (MAAG_CHILD_INDEX_KEYS, its own secret: never derived
from the store's cipher key, which every store holds and which cannot be rotated), the
referral and the child it belongs to. A guessed child cannot be looked up without the key,
and the keys of an erased case are deleted with its data key. The rows are a side table like
the keyring (mutable); the links between referrals and children are events on the referrals.

Rotation. New referrals are indexed under the first key, and looked up under every listed
key, so a child indexed under a retired key is still found while a rotation runs. `rotate`
re-computes each referral's entries under the first key from its child's details (sealed
under the case's data key: recoverable while the case is not erased); once it has run, the
retired keys can be dropped from the list. The previous release keyed the index with a key
derived from the cipher key (`previous_release_key`): listed as a retired key, its entries
are found until the rotation has re-computed them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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
    bindparam,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

from maag.runtime.follow.projection import create_tables
from maag.runtime.settings import SettingsError
from maag.runtime.store.driver import driver_transaction
from services.referral.domain.matching import STRONG, Key, likely
from services.referral.domain.values import Offer

# Referrals looked at per key, and children offered at most (the most recently referred):
# enough for any real child, and a bound on the work and the offers a much-referred child
# not yet confirmed (or a test child referred thousands of times) can cause.
PER_KEY = 50
MOST_OFFERS = 5
# Connections of the engine's pool left to the others that use it (the keyring's maker, the
# read model's projector) by the placings at once: each intake request places its child,
# and past the pool's size every other one opened and closed a connection of its own,
# which cost more than the statement.
LEFT_IN_POOL = 2

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


# Index a referral's keys and look up everything it and its probes meet, in one round trip:
# the lookup reads the table as it was before the insert (a data-modifying CTE's snapshot);
# each token is looked up on its own (at most PER_KEY referrals each, the latest first).
# Given to psycopg as it is (`driver_transaction`): one text whatever the keys, prepared by
# psycopg once per connection.
_PLACE = f"""
    WITH indexed AS (
        INSERT INTO {keys_table.name} (token, kind, case_id, child_id)
        SELECT u.token, u.kind, %(case_id)s, %(child_id)s
        FROM unnest(CAST(%(tokens)s AS bytea[]), CAST(%(kinds)s AS text[])) AS u(token, kind)
        ON CONFLICT (case_id, kind)
        DO UPDATE SET token = EXCLUDED.token, child_id = EXCLUDED.child_id
        RETURNING 1
    )
    SELECT v.label AS kind, k.case_id, k.child_id, k.seq
    FROM unnest(CAST(%(looked)s AS bytea[]), CAST(%(labels)s AS text[])) AS v(token, label)
    CROSS JOIN LATERAL (
        SELECT case_id, child_id, seq FROM {keys_table.name}
        WHERE token = v.token AND case_id <> %(case_id)s
        ORDER BY seq DESC
        LIMIT %(per_key)s
    ) AS k
    """
# The national keys of the children offered (`_without_conflicts`), the same way.
_THEIRS = f"""
    SELECT child_id, kind, token FROM {keys_table.name}
    WHERE child_id = ANY(%(children)s) AND kind = ANY(%(kinds)s) AND case_id <> %(case_id)s
    """


class ChildIndexKeyMissing(SettingsError):
    """The referral service refuses to start without its child-index key."""


def previous_release_key(cipher_key: str) -> bytes:
    """The key the previous release indexed under, derived from the store's cipher key: listed
    as a retired key only while `maag privacy rotate-index-key` moves the index off it."""
    return hmac.digest(base64.b64decode(cipher_key), b"maag referral child index v1", "sha256")


class SqlChildIndex:
    def __init__(self, engine: Engine, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ChildIndexKeyMissing(
                "MAAG_CHILD_INDEX_KEYS is not set: the child index keeps children's match keys "
                "(date of birth, name sounds, postcode) only as HMACs under this key, "
                "id=base64 (`maag secrets` prints one)"
            )
        self.engine = engine
        self.current, self.key = keys[0]
        self.keys = tuple(k for _, k in keys)
        pool = engine.pool
        at_once = pool.size() - LEFT_IN_POOL if isinstance(pool, QueuePool) else 1
        self._placing = threading.BoundedSemaphore(max(1, at_once))
        create_tables(metadata, engine)

    def _token(self, value: str) -> bytes:
        return hmac.digest(self.key, value.encode(), hashlib.sha256)

    def _tokens(self, value: str) -> list[bytes]:
        """The value's token under every listed key: the current one and the retired ones a
        rotation has not yet moved every entry off."""
        return [hmac.digest(k, value.encode(), hashlib.sha256) for k in self.keys]

    def place(
        self,
        case_id: UUID,
        child_id: UUID,
        keys: Mapping[Key, str],
        probes: Mapping[Key, str] | None = None,
    ) -> list[Offer]:
        """Index a referral's keys under `child_id` (again, after a failed attempt or when
        the record changed: the same rows), and return the children its keys and `probes`
        (looked for, not stored) likely match, not this referral's. In PostgreSQL one
        statement does both (one round trip on the intake's path): the lookup reads the
        table as it was before the insert. A child whose national key differs from this
        one's is not offered (a second round trip, only when this child has one and some
        child was found)."""
        looked = {**keys, **(probes or {})}
        if not looked:
            return []
        strong = {k: self._tokens(v) for k, v in keys.items() if k in STRONG}
        if self.engine.dialect.name == "postgresql":
            return self._place_postgres(case_id, child_id, keys, looked, strong)
        with self.engine.begin() as conn:
            offers = _offers(self._place_portable(conn, case_id, child_id, keys, looked))
            if offers and strong:
                offers = self._without_conflicts(conn, case_id, offers, strong)
        return offers

    def _place_postgres(
        self,
        case_id: UUID,
        child_id: UUID,
        keys: Mapping[Key, str],
        looked: Mapping[Key, str],
        strong: Mapping[Key, list[bytes]],
    ) -> list[Offer]:
        """One statement of one text whatever the keys (arrays, not a query per key: it is
        prepared once per connection, where a union of a subquery per key was compiled and
        planned again for each referral), and the national keys of the children offered
        read in the same transaction. Without a national key there is no second statement,
        and the one is its own transaction (no BEGIN and COMMIT to wait for)."""
        tokens = [(kind.value, token) for kind, v in looked.items() for token in self._tokens(v)]
        with self._placing, driver_transaction(self.engine, autocommit=not strong) as cursor:
            cursor.execute(
                _PLACE,
                {
                    "case_id": case_id,
                    "child_id": child_id,
                    "kinds": [k.value for k in keys],
                    "tokens": [self._token(v) for v in keys.values()],
                    "labels": [label for label, _ in tokens],
                    "looked": [token for _, token in tokens],
                    "per_key": PER_KEY,
                },
            )
            offers = _offers(cursor.fetchall())
            if offers and strong:
                cursor.execute(
                    _THEIRS,
                    {
                        "children": [o.child_id for o in offers],
                        "kinds": [k.value for k in strong],
                        "case_id": case_id,
                    },
                )
                offers = _unconflicted(offers, cursor.fetchall(), strong)
        return offers

    def _place_portable(
        self,
        conn: Connection,
        case_id: UUID,
        child_id: UUID,
        keys: Mapping[Key, str],
        looked: Mapping[Key, str],
    ) -> Sequence[Any]:
        """The same in any SQL (the unit tests' SQLite): a subquery per key, then the insert."""
        each = [
            # labelled with what was looked for: a probe meets stored keys of another kind
            select(
                literal(kind.value, String).label("kind"),
                keys_table.c.case_id,
                keys_table.c.child_id,
                keys_table.c.seq,
            )
            .where(keys_table.c.token.in_(self._tokens(value)))
            .where(keys_table.c.case_id != case_id)
            .order_by(keys_table.c.seq.desc())
            .limit(PER_KEY)
            .subquery()
            for kind, value in looked.items()
        ]
        found = conn.execute(union_all(*(select(*q.c) for q in each))).all()
        if keys:
            rows = [
                {"token": self._token(v), "kind": k.value, "case_id": case_id, "child_id": child_id}
                for k, v in keys.items()
            ]
            insert = sqlite_insert(keys_table).values(rows)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["case_id", "kind"],
                    set_={"token": insert.excluded.token, "child_id": insert.excluded.child_id},
                )
            )
        return found

    def _without_conflicts(
        self,
        conn: Connection,
        case_id: UUID,
        offers: list[Offer],
        strong: Mapping[Key, list[bytes]],
    ) -> list[Offer]:
        """The offers but those of a child known by another NHS number or UPN."""
        theirs = conn.execute(
            select(keys_table.c.child_id, keys_table.c.kind, keys_table.c.token)
            .where(keys_table.c.child_id.in_([o.child_id for o in offers]))
            .where(keys_table.c.kind.in_([k.value for k in strong]))
            .where(keys_table.c.case_id != case_id)
        ).all()
        return _unconflicted(offers, theirs, strong)

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

    def cases(self, after: UUID | None = None, batch: int = 500) -> list[UUID]:
        """The indexed referrals, in id order after `after` (a rotation's pages)."""
        query = select(keys_table.c.case_id).distinct().order_by(keys_table.c.case_id)
        if after is not None:
            query = query.where(keys_table.c.case_id > after)
        with self.engine.connect() as conn:
            return list(conn.scalars(query.limit(batch)))

    def rekey(self, entries: Mapping[UUID, Mapping[Key, str]]) -> None:
        """Referrals' entries under the current key, in one transaction. Only rows that are
        there are updated: a case erased meanwhile (its rows deleted) is not indexed again,
        and the child a person linked it to is kept."""
        rows = [
            {"case": case_id, "of_kind": kind.value, "new_token": self._token(value)}
            for case_id, keys in entries.items()
            for kind, value in keys.items()
        ]
        if not rows:
            return
        update = (
            keys_table.update()
            .where(keys_table.c.case_id == bindparam("case"))
            .where(keys_table.c.kind == bindparam("of_kind"))
            .values(token=bindparam("new_token"))
        )
        with self.engine.begin() as conn:
            conn.execute(update, rows)

    def rotate(
        self, keys_of: Callable[[UUID], Mapping[Key, str] | None], batch: int = 500
    ) -> Rotation:
        """Every referral's entries re-computed under the current key, a page at a time.
        `keys_of` gives a referral's match keys from its child's details, or None when they
        are gone (erased: its entries are deleted with them). Safe to run again, and beside
        the running service: a new referral is indexed under the current key already."""
        done = Rotation()
        for page in self._pages(batch):
            found: dict[UUID, Mapping[Key, str]] = {}
            for case_id in page:
                try:
                    keys = keys_of(case_id)
                except NotIndexable:
                    done.skipped += 1
                    continue
                if keys is None:
                    self.forget(case_id)
                    done.forgotten += 1
                else:
                    found[case_id] = keys
            self.rekey(found)
            done.rekeyed += len(found)
        return done

    def _pages(self, batch: int) -> Iterator[list[UUID]]:
        after: UUID | None = None
        while page := self.cases(after, batch):
            yield page
            after = page[-1]


class NotIndexable(LookupError):
    """No referral was stored for these entries (a submission whose store write failed after
    it was indexed): left as they are, for a retry of that submission to write again."""


@dataclass
class Rotation:
    """What a rotation did: entries re-computed, erased cases' entries deleted, and entries
    of no stored referral left alone (per referral)."""

    rekeyed: int = 0
    forgotten: int = 0
    skipped: int = 0


def _unconflicted(
    offers: list[Offer], theirs: Sequence[Any], strong: Mapping[Key, list[bytes]]
) -> list[Offer]:
    """The offers but those of a child with a national key (child, kind, token) of
    `theirs` that is none of this referral's (`strong`)."""
    conflicting = {child for child, kind, token in theirs if token not in strong[Key(kind)]}
    return [o for o in offers if o.child_id not in conflicting]


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
