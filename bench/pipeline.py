"""Benchmark: events per second through outbox relay -> Kafka -> tracked consumer -> store,
measured in the same run as a raw aiokafka produce/consume loop and raw psycopg insert
loops on the same broker and database, printed with the ratios.

    python -m bench.pipeline [--events 20000]

Needs KAFKA_BOOTSTRAP_SERVERS and MAAG_POSTGRES_URL (deploy/local/infra.sh up prints them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import psycopg
from psycopg import sql

# Re-exported: bench.e2e imports them from here until it moves to bench.baselines.
from bench.baselines import raw_kafka, raw_postgres
from bench.support import drop_schema, limit, stop_on_signals
from contracts.topics import REFERRAL_EVENTS
from maag.runtime.logging import configure
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from tests.support.pipeline import IntakeApp, intake_publisher, make_consumer, make_relay
from tests.support.topics import delete_topics

START_TIMEOUT = 60.0  # seconds for the tracked consumer to start
APPLY_TIMEOUT = 600.0  # seconds for it to apply every event once the relay runs


async def pipeline(settings: Settings, n: int, run: str) -> float:
    """Pre-filled store; time from relay start until the consumer has applied all n. Events/s."""
    intake = IntakeApp(settings)
    for start in range(0, n, 1000):
        await asyncio.to_thread(
            intake.receive, [(uuid.uuid4(), "CAF-2026-0001") for _ in range(min(1000, n - start))]
        )
    producer = kafka.producer(settings.kafka_bootstrap, "bench-pipeline")  # dead letters
    await producer.start()
    publisher = intake_publisher(settings)  # the relay's, through FastStream
    await publisher.start()
    relay = make_relay(settings, publisher)
    consumer = make_consumer(settings, producer, f"bench-pipe-{run}")
    stop, ready = asyncio.Event(), asyncio.Event()
    consuming = asyncio.create_task(consumer.run(stop, ready))
    tasks = [consuming]
    try:
        started = limit(START_TIMEOUT)
        try:
            await asyncio.wait_for(ready.wait(), started)
        except TimeoutError:
            raise TimeoutError(
                f"the tracked consumer was not started within {started:.0f} s"
            ) from None
        await asyncio.sleep(1.0)  # let the group settle before the clock starts
        t0 = time.perf_counter()
        tasks.append(asyncio.create_task(relay.run(stop)))
        applying = limit(APPLY_TIMEOUT)
        deadline = time.monotonic() + applying
        while consumer.applied < n:
            for task in tasks:  # the consumer or the relay failed: no use waiting
                if task.done() and not task.cancelled() and task.exception():
                    raise RuntimeError(
                        f"{consumer.applied} of {n} events applied when a task failed"
                    ) from task.exception()
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"waited {applying:.0f} s for the consumer to apply {n} events: "
                    f"{consumer.applied} applied"
                )
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - t0
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await publisher.stop()
        await producer.stop()
    return n / elapsed


async def figures(events: int = 20000, raw: bool = True) -> dict[str, float]:
    """Events/s through the pipeline; with `raw`, the raw loops in the same run beside it
    (`python -m bench all` compares with its own baselines instead, so leaves them out)."""
    n = events
    configure("json")
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    url = os.environ["MAAG_POSTGRES_URL"]
    run = uuid.uuid4().hex[:8]
    schema = f"bench_{run}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    prefix = f"bench.{run}."
    settings = Settings(
        kafka_bootstrap=bootstrap, postgres_url=url, postgres_schema=schema, topic_prefix=prefix
    )
    found: dict[str, float] = {"events": n}
    try:
        await kafka.ensure_topics(
            bootstrap, prefix, [REFERRAL_EVENTS, REFERRAL_EVENTS.dead_letters]
        )
        if raw:
            k = await raw_kafka(bootstrap, n, run)
            p_row = await asyncio.to_thread(raw_postgres, url, n, schema, True)
            p_batch = await asyncio.to_thread(raw_postgres, url, n, schema, False)
        pipe = await pipeline(settings, n, run)
    finally:
        try:
            drop_schema(url, schema)
        finally:
            await delete_topics(bootstrap, prefix)
    found["pipeline_events_per_second"] = round(pipe, 1)
    if raw:
        found |= {
            "raw_kafka_events_per_second": round(k, 1),
            "raw_psycopg_commit_each_events_per_second": round(p_row, 1),
            "raw_psycopg_batched_events_per_second": round(p_batch, 1),
            "ratio_pipeline_to_slower_raw": round(pipe / min(k, p_row), 3),
            "ratio_pipeline_to_raw_kafka": round(pipe / k, 3),
            "ratio_pipeline_to_raw_psycopg_batched": round(pipe / p_batch, 3),
        }
    return found


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    args = parser.parse_args()
    f = await figures(args.events)
    print(f"events: {args.events}")
    print(
        f"raw aiokafka produce+consume (idempotent, acks=all): {f['raw_kafka_events_per_second']:10.0f} events/s"
    )
    print(
        f"raw psycopg insert, one commit per event:            {f['raw_psycopg_commit_each_events_per_second']:10.0f} events/s"
    )
    print(
        f"raw psycopg insert, 1000 per commit:                 {f['raw_psycopg_batched_events_per_second']:10.0f} events/s"
    )
    print(
        f"pipeline relay -> Kafka -> tracked consumer -> store:{f['pipeline_events_per_second']:10.0f} events/s"
    )
    print(
        f"ratio pipeline / slower raw baseline (per-event commit): {f['ratio_pipeline_to_slower_raw']:.2f}"
    )
    print(
        f"ratio pipeline / raw kafka:                               {f['ratio_pipeline_to_raw_kafka']:.2f}"
    )
    print(
        f"ratio pipeline / raw psycopg batched:                     {f['ratio_pipeline_to_raw_psycopg_batched']:.2f}"
    )


if __name__ == "__main__":
    stop_on_signals()
    asyncio.run(main())
