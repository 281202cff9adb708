"""Benchmark: replaying one case among a million stored events, and verifying the chains.

    python -m bench.audit_replay [--cases 10000] [--events-per-case 100] [--samples 50]

Fills four stores (one per service, each in its own fresh schema of MAAG_POSTGRES_URL)
with the cases' events (a quarter of each case's events in each store), lets each store's
chain follower chain and index them, then times `replay` of randomly chosen cases (the
case index, the unindexed tail, the events themselves, decoding, merging and the as-of
fold — everything but HTTP) and `verify` over every store.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import time
import uuid
from contextlib import ExitStack

from bench.support import drop_schema, stop_on_signals
from maag.runtime.evidence.case_history import CaseHistory
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.evidence.timeline import replay
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.services import SPECS
from tests.support.pipeline import Ledger, LedgerApp

SERVICES = tuple(SPECS)
KEY = os.urandom(32)  # the chains' key for this run


def fill(app: LedgerApp, cases: list[uuid.UUID], events_per_case: int) -> None:
    for start in range(0, len(cases), 400):
        ledgers = []
        for case_id in cases[start : start + 400]:
            ledger = Ledger(case_id=case_id)
            for i in range(events_per_case - 1):
                ledger.note(f"n{i}")
            ledgers.append(ledger)
        app.save(*ledgers)


def nearest_rank(ordered: list[float], p: float) -> float:
    """The p-th percentile of ordered values, by nearest rank (of 50, the 99th is the last)."""
    return ordered[max(0, min(len(ordered), math.ceil(p / 100 * len(ordered))) - 1)]


def figures(cases: int = 10_000, events_per_case: int = 100, samples: int = 50) -> dict[str, float]:
    """Storing, chaining and indexing `cases` times `events_per_case` events over four stores;
    `samples` replays of one case among them (ms); verifying every store."""
    url = os.environ["MAAG_POSTGRES_URL"]
    per_store = events_per_case // len(SERVICES)
    if per_store < 1 or samples > cases:
        raise ValueError(
            f"events_per_case must be at least {len(SERVICES)} (one per store) and samples "
            f"at most cases: {events_per_case}, {samples} of {cases}"
        )
    run = uuid.uuid4().hex[:8]
    all_cases = [uuid.uuid4() for _ in range(cases)]
    histories: dict[str, CaseHistory] = {}
    schemas = []
    with ExitStack() as stack:
        try:
            t = time.perf_counter()
            for service in SERVICES:
                schema = f"bench_audit_{run}_{service}"
                schemas.append(schema)
                settings = Settings(postgres_url=url, postgres_schema=schema)
                app = type(f"{service.capitalize()}Ledger", (LedgerApp,), {"name": service})(
                    settings
                )
                stack.callback(app.close)
                fill(app, all_cases, per_store)
                chain = EventChain(
                    app, read_model_engine(settings, service), ChainKeys.derive(KEY, service)
                )
                histories[service] = CaseHistory(service, app, chain, SPECS[service].audit)
            stored = time.perf_counter() - t
            total = per_store * len(SERVICES) * len(all_cases)
            t = time.perf_counter()
            for h in histories.values():
                h.chain.extend()  # what each service's chain follower does as events arrive
            chained = time.perf_counter() - t

            parts = {name: h.entries for name, h in histories.items()}
            timings = []
            for case_id in random.sample(all_cases, samples):
                t = time.perf_counter()
                result = replay(case_id, parts)
                timings.append((time.perf_counter() - t) * 1000)
                assert len(result.entries) == per_store * len(SERVICES)
            timings.sort()

            t = time.perf_counter()
            verdicts = [h.chain.verify() for h in histories.values()]
            verified = time.perf_counter() - t
            assert all(v.clean for v in verdicts)
            return {
                "events": total,
                "cases": len(all_cases),
                "store_seconds": round(stored, 1),
                "chain_and_index_events_per_second": round(total / chained),
                "replay_ms_p50": round(statistics.median(timings), 1),
                "replay_ms_p95": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
                "replay_ms_p99": round(nearest_rank(timings, 99), 1),
                "replay_ms_max": round(timings[-1], 1),
                "verify_seconds": round(verified, 1),
                "verify_seconds_per_million": round(verified * 1_000_000 / total, 1),
            }
        finally:
            drop_schema(url, *schemas)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events-per-case", type=int, default=100)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(figures(args.cases, args.events_per_case, args.samples), indent=2))


if __name__ == "__main__":
    stop_on_signals()
    main()
