"""Benchmark: the boards' report over a generated year of activity, rebuilt from the topics.

    python -m bench.boards [--referrals 10000]

Publishes a year of referrals across the twelve districts and what became of them (the
events the referral, panel and commissioning services would publish) to freshly prefixed
topics, then times rebuilding the boards' projection from the beginning of the topics and
computing the report from it. The year comes from
`tests.support.boards_year`, shared with the test that checks the report.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import psycopg
from psycopg import sql

from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS, REFERRAL_EVENTS
from tests.support.boards_year import LAST, YEAR, generate, publish


def main() -> None:
    from maag.runtime.follow.projection import read_model_engine
    from maag.runtime.settings import Settings
    from services.commissioning.adapters.boards import BoardFeed
    from services.commissioning.application.queries.board_report import load
    from services.commissioning.domain.boards import report

    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=10_000)
    args = parser.parse_args()
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    prefix = f"bench-boards-{uuid.uuid4().hex[:8]}."
    url, schema = os.environ["MAAG_POSTGRES_URL"], f"bench_boards_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    settings = Settings(postgres_url=url, postgres_schema=schema)
    records, _ = generate(args.referrals)
    asyncio.run(publish(bootstrap, prefix, records))
    topics = [t.named(prefix) for t in (REFERRAL_EVENTS, PANEL_EVENTS, COMMISSIONING_EVENTS)]
    feed = BoardFeed(read_model_engine(settings, "commissioning"), bootstrap, topics, {})
    started = time.perf_counter()
    read = asyncio.run(feed.catch_up())
    rebuilt = time.perf_counter() - started
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        cases, facts = load(feed.engine)
        report(cases, facts, YEAR, LAST)
        timings.append(time.perf_counter() - started)
    print(
        f"{args.referrals} referrals, {read} events: rebuilt from the topics in {rebuilt:.1f} s "
        f"({read / rebuilt:,.0f} events/s); report (load + compute) median "
        f"{statistics.median(timings) * 1000:.0f} ms of 5"
    )
    feed.engine.dispose()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    main()
