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
import os
import random
import statistics
import time
import uuid
from contextlib import ExitStack

import psycopg
from psycopg import sql

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events-per-case", type=int, default=100)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    url = os.environ["MAAG_POSTGRES_URL"]
    per_store = args.events_per_case // len(SERVICES)
    run = uuid.uuid4().hex[:8]
    cases = [uuid.uuid4() for _ in range(args.cases)]
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
                fill(app, cases, per_store)
                chain = EventChain(
                    app, read_model_engine(settings, service), ChainKeys.derive(KEY, service)
                )
                histories[service] = CaseHistory(service, app, chain, SPECS[service].audit)
            stored = time.perf_counter() - t
            total = per_store * len(SERVICES) * len(cases)
            t = time.perf_counter()
            for h in histories.values():
                h.chain.extend()  # what each service's chain follower does as events arrive
            chained = time.perf_counter() - t

            parts = {name: h.entries for name, h in histories.items()}
            timings = []
            for case_id in random.sample(cases, args.samples):
                t = time.perf_counter()
                result = replay(case_id, parts)
                timings.append((time.perf_counter() - t) * 1000)
                assert len(result.entries) == per_store * len(SERVICES)
            timings.sort()

            t = time.perf_counter()
            verdicts = [h.chain.verify() for h in histories.values()]
            verified = time.perf_counter() - t
            assert all(v.clean for v in verdicts)
            figures = {
                "events": total,
                "cases": len(cases),
                "store_seconds": round(stored, 1),
                "chain_and_index_events_per_second": round(total / chained),
                "replay_ms_p50": round(statistics.median(timings), 1),
                "replay_ms_p95": round(timings[int(len(timings) * 0.95) - 1], 1),
                "replay_ms_max": round(timings[-1], 1),
                "verify_seconds": round(verified, 1),
                "verify_seconds_per_million": round(verified * 1_000_000 / total, 1),
            }
            print(json.dumps(figures, indent=2))
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                for schema in schemas:
                    conn.execute(
                        sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                    )


if __name__ == "__main__":
    main()
