"""Benchmark: referrals per second accepted via HTTP and via the submissions topic, and the
latency from submission to `ReferralAccepted` on the outbound topic (p50, p99).

    python -m bench.referral [--referrals 2000] [--concurrency 16]

Runs the referral service as its own process (`maag serve referral`) against the broker
and database named by KAFKA_BOOTSTRAP_SERVERS and MAAG_POSTGRES_URL, in a fresh schema
and topic prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

import httpx
import psycopg
from psycopg import sql

from bench.support import Watcher, percentiles, wait_ready
from contracts.topics import REFERRAL_EVENTS, REFERRAL_SUBMISSIONS
from maag.runtime import kafka
from maag.runtime.auth import TokenVerifier
from services.referral.domain.referral import case_id_for
from tests.support.referral import CIPHER_KEY, SECRET, details

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}
PORT = 18001


def _report(label: str, sent: dict[str, float], watcher: Watcher, elapsed: float) -> None:
    p50, p99 = percentiles([(watcher.seen[c] - t) * 1000 for c, t in sent.items()])
    print(
        f"{label:6} {len(sent):6d} referrals  {len(sent) / elapsed:8.0f} accepted/s  "
        f"latency to ReferralAccepted p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
    )


async def via_http(n: int, concurrency: int, token: str, watcher: Watcher) -> None:
    sent: dict[str, float] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    headers = {"Authorization": f"Bearer {token}"}
    body = details(consent=CONSENT)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            t = time.perf_counter()
            r = await client.post("/referrals", json=body, headers=headers)
            assert r.status_code == 201, r.text
            sent[r.json()["case_id"]] = t

    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    await watcher.wait_for(set(sent))
    _report("http", sent, watcher, max(watcher.seen[c] for c in sent) - t0)


async def via_topic(n: int, bootstrap: str, topic: str, token: str, watcher: Watcher) -> None:
    producer = kafka.producer(bootstrap, "bench-agency")
    await producer.start()
    sent: dict[str, float] = {}
    headers = [("authorization", f"Bearer {token}".encode())]
    t0 = time.perf_counter()
    try:
        pending = []
        for _ in range(n):
            sid = f"bench-{uuid.uuid4().hex}"
            value = json.dumps({**details(consent=CONSENT), "submission_id": sid}).encode()
            sent[str(case_id_for("education", sid))] = time.perf_counter()
            pending.append(await producer.send(topic, value, key=sid.encode(), headers=headers))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    await watcher.wait_for(set(sent))
    _report("topic", sent, watcher, max(watcher.seen[c] for c in sent) - t0)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    bootstrap, url = os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MAAG_POSTGRES_URL"]
    run = uuid.uuid4().hex[:8]
    schema, prefix = f"bench_ref_{run}", f"bench.{run}."
    await kafka.ensure_topics(bootstrap, prefix)
    env = {
        **os.environ,
        "MAAG_POSTGRES_SCHEMA": schema,
        "MAAG_TOPIC_PREFIX": prefix,
        "MAAG_CIPHER_KEY": CIPHER_KEY,
        "MAAG_JWT_SECRET": SECRET,
        "MAAG_HTTP_PORT": str(PORT),
        "MAAG_LOG_FORMAT": "json",
    }
    service = subprocess.Popen(
        [sys.executable, "-m", "maag.cli", "serve", "referral"], env=env, stderr=subprocess.DEVNULL
    )
    token = TokenVerifier(SECRET, "maag").issue("bench", "referrer", "education")
    stop = asyncio.Event()
    watcher = Watcher(bootstrap, REFERRAL_EVENTS.named(prefix), "maag.referral.ReferralAccepted.v1")
    watching = asyncio.create_task(watcher.run(stop))
    try:
        await wait_ready(PORT)
        print(f"referral service: 1 process, PostgreSQL store (encrypted), topics {prefix}*")
        await via_http(args.referrals, args.concurrency, token, watcher)
        await via_topic(
            args.referrals, bootstrap, REFERRAL_SUBMISSIONS.named(prefix), token, watcher
        )
    finally:
        stop.set()
        await watching
        service.terminate()
        service.wait(timeout=30)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    asyncio.run(main())
