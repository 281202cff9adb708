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
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import NewTopic
from psycopg import sql

from contracts.topics import REFERRAL_EVENTS
from maag.runtime.logging import configure
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from tests.support.pipeline import IntakeApp, intake_publisher, make_consumer, make_relay

PAYLOAD = b"x" * 600  # about the size of a ReferralReceived with its headers


async def raw_kafka(bootstrap: str, n: int, run: str) -> float:
    """Idempotent producer sends n records; a consumer group reads them all. Events/s."""
    from aiokafka.admin import AIOKafkaAdminClient

    topic = f"bench.{run}.raw"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics(
        [NewTopic(topic, num_partitions=REFERRAL_EVENTS.partitions, replication_factor=1)]
    )
    await admin.close()
    producer = kafka.producer(bootstrap, "bench-raw")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{run}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await producer.start()
    await consumer.start()
    try:
        t0 = time.perf_counter()
        futures = [
            await producer.send(topic, PAYLOAD, key=str(uuid.uuid4()).encode()) for _ in range(n)
        ]
        await asyncio.gather(*futures)
        seen = 0
        while seen < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            for tp, records in batches.items():
                seen += len(records)
                await consumer.commit({tp: records[-1].offset + 1})
        return n / (time.perf_counter() - t0)
    finally:
        await consumer.stop()
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
    await ready.wait()
    await asyncio.sleep(1.0)  # let the group settle before the clock starts
    try:
        t0 = time.perf_counter()
        relaying = asyncio.create_task(relay.run(stop))
        while consumer.applied < n:
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - t0
    finally:
        stop.set()
        await asyncio.gather(consuming, relaying)
        await publisher.stop()
        await producer.stop()
    return n / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    args = parser.parse_args()
    n = args.events
    configure("json")
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    url = os.environ["MAAG_POSTGRES_URL"]
    run = uuid.uuid4().hex[:8]
    schema = f"bench_{run}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    prefix = f"bench.{run}."
    await kafka.ensure_topics(bootstrap, prefix, [REFERRAL_EVENTS, REFERRAL_EVENTS.dead_letters])
    settings = Settings(
        kafka_bootstrap=bootstrap, postgres_url=url, postgres_schema=schema, topic_prefix=prefix
    )
    try:
        k = await raw_kafka(bootstrap, n, run)
        p_row = await asyncio.to_thread(raw_postgres, url, n, schema, True)
        p_batch = await asyncio.to_thread(raw_postgres, url, n, schema, False)
        pipe = await pipeline(settings, n, run)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    slower = min(k, p_row)
    print(f"events: {n}")
    print(f"raw aiokafka produce+consume (idempotent, acks=all): {k:10.0f} events/s")
    print(f"raw psycopg insert, one commit per event:            {p_row:10.0f} events/s")
    print(f"raw psycopg insert, 1000 per commit:                 {p_batch:10.0f} events/s")
    print(f"pipeline relay -> Kafka -> tracked consumer -> store:{pipe:10.0f} events/s")
    print(f"ratio pipeline / slower raw baseline (per-event commit): {pipe / slower:.2f}")
    print(f"ratio pipeline / raw kafka:                               {pipe / k:.2f}")
    print(f"ratio pipeline / raw psycopg batched:                     {pipe / p_batch:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
