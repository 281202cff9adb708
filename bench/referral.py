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
from typing import Any

import httpx

from bench.support import Watcher, identity, percentiles, running_service, stop_on_signals
from contracts.reference import Role
from contracts.topics import REFERRAL_EVENTS, REFERRAL_SUBMISSIONS
from maag.runtime.messaging import kafka
from services.referral.domain.referral import case_id_for
from tests.support.identity import keycloak_tokens, token
from tests.support.referral import CIPHER_KEY, a_child, details

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}


def _figures(
    label: str, sent: dict[str, float], watcher: Watcher, elapsed: float
) -> dict[str, float]:
    p50, p99 = percentiles([(watcher.seen[c] - t) * 1000 for c, t in sent.items()])
    return {
        f"{label}_referrals_per_second": round(len(sent) / elapsed, 1),
        f"{label}_p50_ms": round(p50, 1),
        f"{label}_p99_ms": round(p99, 1),
    }


def submission(i: int, same_child: bool = False) -> dict[str, Any]:
    """A referral of a different child each time (as a county's are), unless `same_child`."""
    if same_child:
        return details(consent=CONSENT)
    return details(consent=CONSENT, child=a_child(i))


async def via_http(
    url: str, n: int, concurrency: int, token: str, watcher: Watcher, same_child: bool
) -> dict[str, float]:
    sent: dict[str, float] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            t = time.perf_counter()
            r = await client.post("/referrals", json=submission(i, same_child), headers=headers)
            assert r.status_code == 201, r.text
            sent[r.json()["case_id"]] = t

    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    await watcher.wait_for(set(sent))
    return _figures("http", sent, watcher, max(watcher.seen[c] for c in sent) - t0)


async def via_topic(
    n: int, bootstrap: str, topic: str, token: str, watcher: Watcher, same_child: bool
) -> dict[str, float]:
    producer = kafka.producer(bootstrap, "bench-agency")
    await producer.start()
    sent: dict[str, float] = {}
    headers = [("authorization", f"Bearer {token}".encode())]
    t0 = time.perf_counter()
    try:
        pending = []
        for i in range(n):
            sid = f"bench-{uuid.uuid4().hex}"
            value = json.dumps({**submission(n + i, same_child), "submission_id": sid}).encode()
            sent[str(case_id_for("education", sid))] = time.perf_counter()
            pending.append(await producer.send(topic, value, key=sid.encode(), headers=headers))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    await watcher.wait_for(set(sent))
    return _figures("topic", sent, watcher, max(watcher.seen[c] for c in sent) - t0)


async def figures(
    referrals: int = 2000, concurrency: int = 16, same_child: bool = False
) -> dict[str, float]:
    """Referrals/s accepted via HTTP (`http_*`) and via the topic (`topic_*`), and their
    latencies to ReferralAccepted. Needs the identity provider's tokens (`identity()`)."""
    bearer = token(Role.REFERRER, "education")
    async with running_service("referral", {"MAAG_CIPHER_KEY": CIPHER_KEY}) as run:
        stop = asyncio.Event()
        watcher = Watcher(
            run.bootstrap,
            REFERRAL_EVENTS.named(run.prefix),
            "maag.referral.ReferralAccepted.v1",
            {"the referral service": run.service},
        )
        watching = asyncio.create_task(watcher.run(stop))
        try:
            found: dict[str, float] = {"referrals": referrals}
            found |= await via_http(run.url, referrals, concurrency, bearer, watcher, same_child)
            found |= await via_topic(
                referrals,
                run.bootstrap,
                REFERRAL_SUBMISSIONS.named(run.prefix),
                keycloak_tokens().agency("education"),  # the agency's system
                watcher,
                same_child,
            )
        finally:
            stop.set()
            await watching
    return found


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--same-child", action="store_true")
    args = parser.parse_args()
    found = await figures(args.referrals, args.concurrency, args.same_child)
    print("referral service: 1 process, PostgreSQL store (encrypted)")
    for label in ("http", "topic"):
        print(
            f"{label:6} {args.referrals:6d} referrals  "
            f"{found[f'{label}_referrals_per_second']:8.0f} accepted/s  "
            f"latency to ReferralAccepted p50 {found[f'{label}_p50_ms']:7.1f} ms  "
            f"p99 {found[f'{label}_p99_ms']:7.1f} ms"
        )


if __name__ == "__main__":
    stop_on_signals()
    with identity():
        asyncio.run(main())
