"""Baselines: what the broker and the database do with nothing of MAAG's in the way, for the
benchmarks' figures to be compared with in the same run, on the same machine, broker and
database.

    python -m bench.baselines [--events 20000]

  aiokafka_produce_consume  an idempotent producer (acks=all) sends `events` records, and a
                            consumer group reads them all, committing each batch;
  psycopg_commit_each       `events // 4` rows shaped like stored events, a commit each, one
                            at a time on one connection;
  psycopg_batched           `events` such rows, 1,000 per commit.

Each per second. The rows go to a throwaway schema, dropped afterwards. Needs
KAFKA_BOOTSTRAP_SERVERS and MAAG_POSTGRES_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import psycopg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from psycopg import sql

from bench.support import drop_schema, limit, stop_on_signals
from contracts.topics import REFERRAL_EVENTS
from maag.runtime.messaging import kafka
from tests.support.topics import delete_topics

PAYLOAD = b"x" * 600  # about the size of a ReferralReceived with its headers
CONSUME_TIMEOUT = 300.0  # seconds the consumer may take to read back what was produced


async def raw_kafka(bootstrap: str, n: int, run: str) -> float:
    """Idempotent producer sends n records; a consumer group reads them all. Events/s. The
    topic is deleted afterwards (the group is left: aiokafka cannot delete one)."""
    topic = f"bench.{run}.raw"
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics(
                [NewTopic(topic, num_partitions=REFERRAL_EVENTS.partitions, replication_factor=1)]
            )
        finally:
            await admin.close()
        return await _produce_consume(bootstrap, n, run, topic)
    finally:
        await delete_topics(bootstrap, names=[topic])


async def _produce_consume(bootstrap: str, n: int, run: str, topic: str) -> float:
    producer = kafka.producer(bootstrap, "bench-raw")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{run}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await producer.start()
    try:
        await consumer.start()
        try:
            t0 = time.perf_counter()
            futures = [
                await producer.send(topic, PAYLOAD, key=str(uuid.uuid4()).encode())
                for _ in range(n)
            ]
            await asyncio.gather(*futures)
            seen = 0
            timeout = limit(CONSUME_TIMEOUT)
            deadline = time.monotonic() + timeout
            while seen < n:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"waited {timeout:.0f} s to consume {n} records from {topic}: "
                        f"{seen} arrived"
                    )
                batches = await consumer.getmany(timeout_ms=500, max_records=1000)
                for tp, records in batches.items():
                    seen += len(records)
                    await consumer.commit({tp: records[-1].offset + 1})
            return n / (time.perf_counter() - t0)
        finally:
            await consumer.stop()
    finally:
        await producer.stop()


def raw_postgres(url: str, n: int, schema: str, per_row_commit: bool) -> float:
    """INSERT n rows shaped like stored events. Events/s."""
    with psycopg.connect(url) as conn:
        table = sql.Identifier(schema, "raw_per_row" if per_row_commit else "raw_batched")
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (id bigserial PRIMARY KEY, originator_id uuid, originator_version int, "
                "topic text, state bytea)"
            ).format(table)
        )
        conn.commit()
        insert = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state) "
            "VALUES (%s, 1, 'bench', %s)"
        ).format(table)
        t0 = time.perf_counter()
        if per_row_commit:
            for _ in range(n):
                conn.execute(insert, (uuid.uuid4(), PAYLOAD))
                conn.commit()
        else:
            with conn.cursor() as cur:
                for start in range(0, n, 1000):
                    cur.executemany(
                        insert, [(uuid.uuid4(), PAYLOAD) for _ in range(min(1000, n - start))]
                    )
                    conn.commit()
        return n / (time.perf_counter() - t0)


def measure(bootstrap: str, url: str, events: int) -> dict[str, float]:
    """The three baselines, per second, in a schema of their own that is dropped afterwards.
    Synchronous: it runs its own event loop for Kafka (so not from inside a running one)."""
    run = uuid.uuid4().hex[:8]
    schema = f"bench_raw_{run}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        return {
            "aiokafka_produce_consume": round(asyncio.run(raw_kafka(bootstrap, events, run)), 1),
            "psycopg_commit_each": round(raw_postgres(url, events // 4, schema, True), 1),
            "psycopg_batched": round(raw_postgres(url, events, schema, False), 1),
        }
    finally:
        drop_schema(url, schema)


def figures(events: int = 20000) -> dict[str, float]:
    """`measure` on the broker and database the environment names."""
    return measure(os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MAAG_POSTGRES_URL"], events)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    args = parser.parse_args()
    found = figures(args.events)
    print(f"events: {args.events}")
    print(
        f"raw aiokafka produce+consume (idempotent, acks=all): {found['aiokafka_produce_consume']:10.0f} events/s"
    )
    print(
        f"raw psycopg insert, one commit per row ({args.events // 4} rows): {found['psycopg_commit_each']:10.0f} rows/s"
    )
    print(
        f"raw psycopg insert, 1000 per commit:                 {found['psycopg_batched']:10.0f} rows/s"
    )


if __name__ == "__main__":
    stop_on_signals()
    main()
