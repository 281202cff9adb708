"""Benchmark: chaining and verifying a service's stored events (tamper evidence).

    python -m bench.audit_verify [--events 200000]

Fills a fresh schema of MAAG_POSTGRES_URL with ledger events, chains them, verifies them.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid

import psycopg
from psycopg import sql

from maag.runtime.chain import EventChain
from maag.runtime.projection import read_model_engine
from maag.runtime.settings import Settings
from tests.support.pipeline import Ledger, LedgerApp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    url = os.environ["MAAG_POSTGRES_URL"]
    schema = f"bench_chain_{uuid.uuid4().hex[:8]}"
    settings = Settings(postgres_url=url, postgres_schema=schema)
    app = LedgerApp(settings)
    try:
        for _ in range(args.events // 2000):
            ledgers = [Ledger(case_id=uuid.uuid4()) for _ in range(1000)]  # two events each
            for ledger in ledgers:
                ledger.note("seen")
            app.save(*ledgers)
        chain = EventChain(app, read_model_engine(settings, "ledger"))
        t = time.perf_counter()
        chain.extend()
        chained = time.perf_counter() - t
        t = time.perf_counter()
        verdict = chain.verify()
        verified = time.perf_counter() - t
        n = verdict.chained
        print(
            f"events {n}: chain {n / chained:,.0f} events/s; verify {verified:.2f} s "
            f"({verified * 1_000_000 / n:.1f} s per million), clean={verdict.clean}"
        )
    finally:
        app.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    main()
