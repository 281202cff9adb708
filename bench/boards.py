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
from collections.abc import Awaitable
from typing import TypeVar

import psycopg
from psycopg import sql

from bench.support import drop_schema, limit, stop_on_signals
from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS, REFERRAL_EVENTS
from tests.support.boards_year import LAST, YEAR, generate, publish
from tests.support.topics import delete_topics_now

# Seconds to publish the year to the topics, and to rebuild the projection from them; each
# fewer when the run gives the benchmark less (`limit`).
PUBLISH_TIMEOUT = 600.0
REBUILD_TIMEOUT = 1800.0
T = TypeVar("T")


async def _within(seconds: float, what: str, work: Awaitable[T]) -> T:
    seconds = limit(seconds)
    try:
        return await asyncio.wait_for(work, seconds)
    except TimeoutError:
        raise TimeoutError(f"{what} did not finish within {seconds:.0f} s") from None


def figures(referrals: int = 10_000) -> dict[str, float]:
    """The rebuild from the topics (seconds, events/s) and the report's median time of 5.
    The topics are deleted afterwards."""
    from maag.runtime.follow.projection import read_model_engine
    from maag.runtime.settings import Settings
    from services.commissioning.adapters.boards import BoardFeed
    from services.commissioning.application.queries.board_report import load
    from services.commissioning.domain.boards import report

    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    prefix = f"bench-boards-{uuid.uuid4().hex[:8]}."
    url, schema = os.environ["MAAG_POSTGRES_URL"], f"bench_boards_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        settings = Settings(postgres_url=url, postgres_schema=schema)
        records, _ = generate(referrals)
        asyncio.run(
            _within(PUBLISH_TIMEOUT, "publishing the year", publish(bootstrap, prefix, records))
        )
        topics = [t.named(prefix) for t in (REFERRAL_EVENTS, PANEL_EVENTS, COMMISSIONING_EVENTS)]
        feed = BoardFeed(read_model_engine(settings, "commissioning"), bootstrap, topics, {})
        try:
            started = time.perf_counter()
            read = asyncio.run(
                _within(REBUILD_TIMEOUT, "rebuilding from the topics", feed.catch_up())
            )
            rebuilt = time.perf_counter() - started
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                cases, facts = load(feed.engine)
                report(cases, facts, YEAR, LAST)
                timings.append(time.perf_counter() - started)
        finally:
            feed.engine.dispose()
    finally:
        try:
            drop_schema(url, schema)
        finally:
            delete_topics_now(bootstrap, prefix)
    return {
        "referrals": referrals,
        "events": read,
        "rebuild_seconds": round(rebuilt, 2),
        "rebuild_events_per_second": round(read / rebuilt, 1),
        "report_ms": round(statistics.median(timings) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=10_000)
    args = parser.parse_args()
    found = figures(args.referrals)
    print(
        f"{args.referrals} referrals, {found['events']:.0f} events: rebuilt from the topics in "
        f"{found['rebuild_seconds']:.1f} s ({found['rebuild_events_per_second']:,.0f} events/s); "
        f"report (load + compute) median {found['report_ms']:.0f} ms of 5"
    )


if __name__ == "__main__":
    stop_on_signals()
    main()
