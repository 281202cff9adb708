"""Benchmark: cases listed per second from `ReferralAccepted` on the topic, and the latency
from a recorded decision (HTTP) to `LeadProfessionalAssigned` on the outbound topic.

    python -m bench.panel [--cases 2000] [--decisions 100]

Runs the panel service as its own process against KAFKA_BOOTSTRAP_SERVERS and
MAAG_POSTGRES_URL, in a fresh schema and topic prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime

import httpx

from bench.support import Watcher, identity, percentiles, running_service, stop_on_signals
from contracts.events import Actor
from contracts.reference import District, Role
from contracts.topics import PANEL_EVENTS, REFERRAL_EVENTS
from maag.runtime.messaging import kafka
from tests.support.events import record, referral_accepted
from tests.support.identity import auth

SYSTEM = Actor(user_id="referral-service", role=Role.SYSTEM, agency="maag")


async def listing(
    n: int, bootstrap: str, prefix: str, watcher: Watcher
) -> tuple[list[uuid.UUID], float]:
    """The Harlow cases listed (the decisions' meeting is Harlow's), and cases listed/s."""
    producer = kafka.producer(bootstrap, "bench-referral")
    await producer.start()
    cases = [(uuid.uuid4(), list(District)[i % 12]) for i in range(n)]
    t0 = time.perf_counter()
    try:
        pending = []
        for seq, (case_id, district) in enumerate(cases, start=1):
            key, value, headers = record(
                referral_accepted(case_id, district), "/maag/referral", seq
            )
            pending.append(
                await producer.send(REFERRAL_EVENTS.named(prefix), value, key=key, headers=headers)
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    keys = {str(c) for c, _ in cases}
    await watcher.wait_for(keys)
    elapsed = max(watcher.seen[k] for k in keys) - t0
    return [c for c, d in cases if d is District.HARLOW], n / elapsed


async def decide(
    url: str, harlow_cases: list[uuid.UUID], m: int, watcher: Watcher
) -> dict[str, float]:
    headers = auth([Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care")
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        # a meeting decides only while it sits: one called for now, the cases listed on it
        now = datetime.now(UTC).isoformat()
        called = {"panel": "maag", "district": District.HARLOW.value, "starts_at": now}
        r = await client.post("/meetings", headers=headers, json=called)
        assert r.status_code == 201, r.text
        meeting = r.json()["meeting_id"]
        for case_id in harlow_cases[:m]:
            listed = {"case_id": str(case_id), "reason": "the panel meets on it today"}
            r = await client.post(f"/meetings/{meeting}/agenda", headers=headers, json=listed)
            assert r.status_code == 200, r.text
        for agency in ("social-care", "education", "camhs"):  # each attendee signs in
            r = await client.post(
                f"/meetings/{meeting}/attendance",
                headers=auth(Role.PANEL_MEMBER, agency),
                json={"name": f"Member {agency}"},
            )
            assert r.status_code == 200, r.text
        for case_id in harlow_cases[:m]:
            body = {
                "kind": "assign-lead-professional",
                "case_id": str(case_id),
                "professional_id": "lp",
                "name": "Lee Lead",
                "agency": "education",
                "work_email": "lee@school.example",
            }
            t = time.perf_counter()
            r = await client.post(f"/meetings/{meeting}/decisions", headers=headers, json=body)
            assert r.status_code == 200, r.text
            sent[str(case_id)] = t
    if not sent:
        raise ValueError("no Harlow case to decide on: list at least 12 cases")
    await watcher.wait_for(set(sent))
    p50, p99 = percentiles([(watcher.seen[c] - t) * 1000 for c, t in sent.items()])
    return {
        "decisions": len(sent),
        "decision_p50_ms": round(p50, 1),
        "decision_p99_ms": round(p99, 1),
    }


async def figures(cases: int = 2000, decisions: int = 100) -> dict[str, float]:
    """Cases listed/s from ReferralAccepted on the topic; the latency of up to `decisions`
    sequential decisions (on the Harlow cases: a twelfth of them) to LeadProfessionalAssigned.
    Needs the identity provider's tokens (`identity()`)."""
    async with running_service("panel", {"MAAG_QUORUM_OTHER_AGENCIES": "2"}) as run:
        stop = asyncio.Event()
        topic = PANEL_EVENTS.named(run.prefix)
        service = {"the panel service": run.service}
        listed = Watcher(run.bootstrap, topic, "maag.panel.CaseListed.v1", service)
        assigned = Watcher(run.bootstrap, topic, "maag.panel.LeadProfessionalAssigned.v1", service)
        watching = [asyncio.create_task(w.run(stop)) for w in (listed, assigned)]
        try:
            harlow, rate = await listing(cases, run.bootstrap, run.prefix, listed)
            found = {"cases": cases, "listing_cases_per_second": round(rate, 1)}
            found |= await decide(run.url, harlow, decisions, assigned)
        finally:
            stop.set()
            await asyncio.gather(*watching)
    return found


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--decisions", type=int, default=100)
    args = parser.parse_args()
    found = await figures(args.cases, args.decisions)
    print("panel service: 1 process, PostgreSQL store")
    print(
        f"listing   {args.cases:6d} ReferralAccepted -> CaseListed  "
        f"{found['listing_cases_per_second']:8.0f} cases listed/s"
    )
    print(
        f"decisions {found['decisions']:6.0f} sequential -> LeadProfessionalAssigned  "
        f"latency p50 {found['decision_p50_ms']:7.1f} ms  p99 {found['decision_p99_ms']:7.1f} ms"
    )


if __name__ == "__main__":
    stop_on_signals()
    with identity():
        asyncio.run(main())
