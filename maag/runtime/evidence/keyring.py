"""A service's keyring held to its log (`maag.runtime.store.case_keys`): the keyring is the
one table that must change (a key made, re-wrapped, destroyed by an erasure), so what it
holds is checked against the MACed log of every change the service made to it.

A key row deleted outside an erasure (a case's data made unreadable unseen), a destroyed key
restored (an erasure undone from a copy of the database), a row added, or one altered, by
someone without the service's key, and an entry of the log altered or removed from among the
others: each is a break `maag audit verify` names. (Entries removed from the log's end with
their rows are not seen here: the erasures themselves are events, chained and anchored.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.engine import Engine

from maag.runtime.evidence import anchors
from maag.runtime.evidence.chain import Break, EventChain, Verdict
from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import (
    DESTROYED,
    GONE,
    digest_of,
    keyring_log_key,
    keys_name,
    log_mac,
)


def breaks(engine: Engine, service: str, log_key: bytes) -> list[Break]:
    """What in the service's keyring its log does not account for (none: no keyring)."""
    name = keys_name(service)
    present = set(inspect(engine).get_table_names())
    if name not in present:
        return []
    if f"{name}_log" not in present:
        return [Break(0, "keyring", f"{name} has no log: its changes cannot be checked")]
    meta = MetaData()
    keys = Table(name, meta, autoload_with=engine)
    log = Table(f"{name}_log", meta, autoload_with=engine)
    owner = keys.primary_key.columns.values()[0]
    found: list[Break] = []
    held: dict[UUID, bytes] = {}
    with engine.connect() as conn:
        previous, expected = b"", 1
        for seq, owner_id, act, digest, mac in conn.execute(
            select(log.c.seq, log.c.owner_id, log.c.act, log.c.digest, log.c.mac).order_by(
                log.c.seq
            )
        ):
            digest, mac = bytes(digest), bytes(mac)
            if seq != expected:  # the entry after a gap cannot be checked: the gap is named
                found.append(Break(0, "keyring", f"log entries {expected}..{seq - 1} are missing"))
            elif log_mac(log_key, previous, seq, owner_id, act, digest) != mac:
                found.append(
                    Break(0, "keyring", f"log entry {seq} ({act} {owner_id}) is not the service's")
                )
            held[owner_id] = GONE if act == DESTROYED else digest
            previous, expected = mac, seq + 1
        rows = conn.execute(select(owner, keys.c.wrapped, keys.c.kek_id)).all()
    return [*found, *_against(held, ((o, digest_of(bytes(w), k)) for o, w, k in rows))]


def _against(held: dict[UUID, bytes], rows: Iterable[tuple[UUID, bytes]]) -> list[Break]:
    found: list[Break] = []
    seen: set[UUID] = set()
    for owner_id, digest in rows:
        seen.add(owner_id)
        logged = held.get(owner_id)
        if logged is None:
            found.append(Break(0, "keyring", f"the key of {owner_id} was not made by the service"))
        elif logged == GONE:
            found.append(
                Break(0, "keyring", f"the key of {owner_id} was destroyed and is back: restored")
            )
        elif logged != digest:
            found.append(
                Break(0, "keyring", f"the key of {owner_id} is not as the service left it")
            )
    for owner_id, logged in held.items():
        if logged != GONE and owner_id not in seen:
            found.append(
                Break(0, "keyring", f"the key of {owner_id} was removed outside an erasure")
            )
    return found


def verified(
    chain: EventChain, records: list[anchors.Record], settings: Settings, service: str
) -> Verdict:
    """The store's verdict (`anchors.verify`), with its keyring held to its log."""
    verdict = anchors.verify(chain, records, settings.anchor_interval)
    log_key = keyring_log_key(settings, service)
    if log_key is None:
        return verdict
    more = breaks(chain.engine, service, log_key)
    return dataclasses.replace(verdict, breaks=[*verdict.breaks, *more]) if more else verdict
