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

from sqlalchemy.orm import Session

from bench.support import drop_schema, stop_on_signals
from maag.runtime.evidence import anchors
from maag.runtime.evidence.chain import GENESIS, EventChain, Source
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.sealed import BODY, MAGIC, Sealer
from tests.support.pipeline import Ledger, LedgerApp


def figures(events: int = 1_000_000, anchor_every: int = 2000) -> dict[str, float]:
    """Chaining (events/s), the verify against the anchors at once and in one walk (seconds,
    events/s), and the one walk's parts each alone (`part_*_seconds`). `events` is rounded
    down to a multiple of 2,000 (the store is filled 2,000 at a time)."""
    if events < 2000:
        raise ValueError(f"events must be at least 2000 (filled 2,000 at a time): {events}")
    url = os.environ["MAAG_POSTGRES_URL"]
    schema = f"bench_chain_{uuid.uuid4().hex[:8]}"
    master = os.urandom(32)  # MAAG_CHAIN_KEY: the events are sealed with it, as a service's
    settings = Settings(postgres_url=url, postgres_schema=schema, chain_key=master)
    keys = ChainKeys.derive(master, "ledger")
    app = LedgerApp(settings)
    started = time.monotonic()
    try:
        for _ in range(events // 2000):
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
            if head % anchor_every < 5000:
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
        return {
            "events": n,
            "chain_events_per_second": round(n / chained, 1),
            "anchors": verdict.anchors,
            "verify_seconds": round(verified, 3),
            "verify_events_per_second": round(n / verified, 1),
            "verify_seconds_per_million": round(verified * 1_000_000 / n, 2),
            "one_walk_seconds": round(one_walk, 3),
            "one_walk_events_per_second": round(n / one_walk, 1),
            **_parts(chain, verdict.head),
        }
    finally:
        app.close()
        drop_schema(url, schema)


PARTS = {  # figure -> what it times, as printed
    "part_read_events_seconds": "reading the stored events",
    "part_read_chain_and_index_seconds": "reading the chain and index",
    "part_chain_hmacs_seconds": "the chain's HMACs",
    "part_event_macs_seconds": "the events' own MACs",
}


def _parts(chain: EventChain, head: int) -> dict[str, float]:
    """Where one walk's time goes: each part alone, in seconds."""
    found: dict[str, float] = {}
    source = Source.of(chain)
    assert source is not None
    with Session(chain.engine) as session:
        connection: Any = session.connection().connection.driver_connection
        t = time.perf_counter()
        rows = list(source.pages(connection, source.events, 0, head))
        found["part_read_events_seconds"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        chain_rows = list(source.pages(connection, source.chain, 0, head))
        source.indexed(connection)
        found["part_read_chain_and_index_seconds"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    previous = GENESIS
    for (nid, place, state), (_, _, case_id) in zip(rows, chain_rows, strict=True):
        covered = state[:BODY] if state.startswith(MAGIC) else state
        previous = chain.link.placed(previous, nid, place, case_id, covered)
    found["part_chain_hmacs_seconds"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    seal = Sealer(chain.keys.seal)
    for _, place, state in rows:  # `Sealer`, given the place as read
        inner = seal.inner.copy()
        inner.update(place + state[BODY:])
        outer = seal.outer.copy()
        outer.update(inner.digest())
        outer.digest()
    found["part_event_macs_seconds"] = round(time.perf_counter() - t, 3)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--anchor-every", type=int, default=2000)
    args = parser.parse_args()
    f = figures(args.events, args.anchor_every)
    print(
        f"events {f['events']:.0f}: chain {f['chain_events_per_second']:,.0f} events/s; verify "
        f"against {f['anchors']:.0f} anchors {f['verify_seconds']:.2f} s "
        f"({f['verify_events_per_second']:,.0f} events/s, "
        f"{f['verify_seconds_per_million']:.1f} s per million), clean=True; "
        f"in one walk {f['one_walk_seconds']:.2f} s ({f['one_walk_events_per_second']:,.0f} events/s)"
    )
    print("where one walk's time goes (each part alone):")
    for key, what in PARTS.items():
        print(f"  {what:27} {f[key]:5.2f} s")


if __name__ == "__main__":
    stop_on_signals()
    main()
