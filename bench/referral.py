"""Benchmark: referrals per second accepted via HTTP and via the submissions topic, and the
latency from submission to `ReferralAccepted` on the outbound topic (p50, p99).

    python -m bench.referral [--referrals 2000] [--concurrency 16] [--same-child]

Each referral names a different child, as a county's do; `--same-child` names one child
every time, the child index's worst case (every referral offered the five latest).

Runs the referral service as its own process (`maag serve referral`) against the broker
and database named by KAFKA_BOOTSTRAP_SERVERS and MAAG_POSTGRES_URL, in a fresh schema
and topic prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from bench.support import Watcher, identity, percentiles, running_service
from contracts.reference import Role
from contracts.topics import REFERRAL_EVENTS, REFERRAL_SUBMISSIONS
from maag.runtime.messaging import kafka
from services.referral.domain.referral import case_id_for
from tests.support.identity import keycloak_tokens, token
from tests.support.referral import CIPHER_KEY, details

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


SAME_CHILD = False  # --same-child: every referral names one child (the child index's worst case)


def submission(i: int) -> dict[str, Any]:
    """A referral of a different child each time (as a county's are), unless --same-child."""
    if SAME_CHILD:
        return details(consent=CONSENT)
    child = {
        "given_name": f"Child{i:05d}",
        "family_name": "Benchmark",
        "date_of_birth": (date(2010, 1, 1) + timedelta(days=i % 5000)).isoformat(),
        "address": f"{i} Bench Road, Harlow CM20 {i % 9}AB",
    }
    return details(consent=CONSENT, child=child)


async def via_http(n: int, concurrency: int, token: str, watcher: Watcher) -> None:
    sent: dict[str, float] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            t = time.perf_counter()
            r = await client.post("/referrals", json=submission(i), headers=headers)
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
        for i in range(n):
            sid = f"bench-{uuid.uuid4().hex}"
            value = json.dumps({**submission(n + i), "submission_id": sid}).encode()
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
    parser.add_argument("--same-child", action="store_true")
    args = parser.parse_args()
    global SAME_CHILD
    SAME_CHILD = args.same_child
    bearer = token(Role.REFERRER, "education")
    async with running_service("referral", PORT, {"MAAG_CIPHER_KEY": CIPHER_KEY}) as run:
        stop = asyncio.Event()
        watcher = Watcher(
            run.bootstrap, REFERRAL_EVENTS.named(run.prefix), "maag.referral.ReferralAccepted.v1"
        )
        watching = asyncio.create_task(watcher.run(stop))
        try:
            print(
                f"referral service: 1 process, PostgreSQL store (encrypted), topics {run.prefix}*"
            )
            await via_http(args.referrals, args.concurrency, bearer, watcher)
            await via_topic(
                args.referrals,
                run.bootstrap,
                REFERRAL_SUBMISSIONS.named(run.prefix),
                keycloak_tokens().agency("education"),  # the agency's system
                watcher,
            )
        finally:
            stop.set()
            await watching


if __name__ == "__main__":
    with identity():
        asyncio.run(main())
