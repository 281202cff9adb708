"""Benchmark: chaining a service's stored events, and verifying them against signed anchors
(tamper evidence), with where the verify's time goes.

    python -m bench.audit_verify [--events 1000000] [--anchor-every 2000]

Fills a fresh schema of MAAG_POSTGRES_URL with ledger events, chains them, signs an anchor
every `--anchor-every` events (as a service does each MAAG_ANCHOR_INTERVAL), then verifies
the whole store against them as `maag audit verify` does (its ranges walked at once by one
process per CPU) and in one walk, and times the verify's parts on their own, in one
process: reading the stored events, reading the chain rows and the case index, and the
HMACs.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.orm import Session

from maag.runtime.evidence import anchors
from maag.runtime.evidence.chain import GENESIS, EventChain, Source
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.sealed import BODY, MAGIC, Sealer
from tests.support.pipeline import Ledger, LedgerApp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--anchor-every", type=int, default=2000)
    args = parser.parse_args()
    url = os.environ["MAAG_POSTGRES_URL"]
    schema = f"bench_chain_{uuid.uuid4().hex[:8]}"
    master = os.urandom(32)  # MAAG_CHAIN_KEY: the events are sealed with it, as a service's
    settings = Settings(postgres_url=url, postgres_schema=schema, chain_key=master)
    keys = ChainKeys.derive(master, "ledger")
    app = LedgerApp(settings)
    started = time.monotonic()
    try:
        for _ in range(args.events // 2000):
            ledgers = [Ledger(case_id=uuid.uuid4()) for _ in range(1000)]  # two events each
            for ledger in ledgers:
                ledger.note("seen")
            app.save(*ledgers)
        chain = EventChain(app, read_model_engine(settings, "ledger"), keys, batch_size=5000)
        t = time.perf_counter()
        records: list[anchors.Record] = []
        while moved := chain.extend_once():
            del moved
            head, digest = chain.current_head()
            if head % args.anchor_every < 5000:
                anchor = keys.sign(head, digest, datetime.now(UTC), "interval")
                records.append((f"bench@{len(records)}", anchor.model_dump_json().encode()))
        chained = time.perf_counter() - t
        # The anchors above stand for a service's, one per interval: the whole run is one.
        interval = time.monotonic() - started + 60
        t = time.perf_counter()
        verdict = anchors.verify(chain, records, interval)
        assert verdict.clean, verdict.breaks[:3]
        verified = time.perf_counter() - t
        t = time.perf_counter()
        assert anchors.verify(chain, records, interval, workers=1).clean
        one_walk = time.perf_counter() - t
        n = verdict.chained
        print(
            f"events {n}: chain {n / chained:,.0f} events/s; verify against "
            f"{verdict.anchors} anchors {verified:.2f} s ({n / verified:,.0f} events/s, "
            f"{verified * 1_000_000 / n:.1f} s per million), clean={verdict.clean}; "
            f"in one walk {one_walk:.2f} s ({n / one_walk:,.0f} events/s)"
        )
        _parts(chain, verdict.head)
    finally:
        app.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _parts(chain: EventChain, head: int) -> None:
    print("where one walk's time goes (each part alone):")
    source = Source.of(chain)
    assert source is not None
    with Session(chain.engine) as session:
        connection: Any = session.connection().connection.driver_connection
        t = time.perf_counter()
        rows = list(source.pages(connection, source.events, 0, head))
        print(f"  reading the stored events   {time.perf_counter() - t:5.2f} s")
        t = time.perf_counter()
        chain_rows = list(source.pages(connection, source.chain, 0, head))
        source.indexed(connection)
        print(f"  reading the chain and index {time.perf_counter() - t:5.2f} s")
    t = time.perf_counter()
    previous = GENESIS
    for (nid, place, state), (_, _, case_id) in zip(rows, chain_rows, strict=True):
        covered = state[:BODY] if state.startswith(MAGIC) else state
        previous = chain.link.placed(previous, nid, place, case_id, covered)
    print(f"  the chain's HMACs           {time.perf_counter() - t:5.2f} s")
    t = time.perf_counter()
    seal = Sealer(chain.keys.seal)
    for _, place, state in rows:  # `Sealer`, given the place as read
        inner = seal.inner.copy()
        inner.update(place + state[BODY:])
        outer = seal.outer.copy()
        outer.update(inner.digest())
        outer.digest()
    print(f"  the events' own MACs        {time.perf_counter() - t:5.2f} s")


if __name__ == "__main__":
    main()
