"""Benchmark: the whole system, end to end, as processes on the real broker, database and
SMTP server.

    python -m bench.e2e [--cases 300] [--rate 5] [--seconds 30] [--out bench/results]

Starts the four services and the mailbox (fresh schemas and topics), and a scripted
panel: as each case is listed, it lists it on a meeting of its district's MAAG called for
now (a meeting decides only while it sits), makes that meeting quorate (once per meeting)
and assigns a lead professional over HTTP. Then:
  throughput  --cases referrals submitted over HTTP as fast as 16 clients can; cases per
              second from the first submission to the last lead professional's email
              accepted by the SMTP server;
  latency     referrals at a fixed --rate for --seconds; per case, from its submission to
              its lead professional's email accepted (p50, p95, p99);
  baselines   in the same run, on the same broker and database: raw aiokafka produce and
              consume, raw psycopg inserts (a commit each; 1,000 per commit).
Writes <out>/e2e-<time>.json and .png. Needs KAFKA_BOOTSTRAP_SERVERS and MAAG_POSTGRES_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import email.parser
import json
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer
from psycopg import sql

from bench.pipeline import raw_kafka, raw_postgres
from bench.support import identity
from contracts.reference import Role
from contracts.topics import PANEL_EVENTS
from maag.ops.demo.client import QUORUM_AGENCIES, lead_decision
from tests.support.flow import CONSENT, DISTRICTS
from tests.support.identity import auth, token
from tests.support.referral import details
from tests.support.system import System, running_system

LEAD_SUBJECT = "you are the lead professional"


@dataclass
class Clock:
    submitted: dict[str, float] = field(default_factory=dict)  # case -> time.time()
    emailed: dict[str, float] = field(default_factory=dict)  # case -> SMTP acceptance


class Panel:
    """The scripted panel: reacts to each CaseListed on the topic over HTTP."""

    def __init__(self, system: System, bootstrap: str, prefix: str) -> None:
        self.system = system
        self.bootstrap = bootstrap
        self.topic = PANEL_EVENTS.named(prefix)
        self.headers = auth([Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care")
        self.quorate: dict[str, asyncio.Task[None]] = {}
        self.called: dict[str, asyncio.Task[str]] = {}  # district -> the meeting called now
        self.limit = asyncio.Semaphore(16)
        self.http = httpx.AsyncClient(base_url=system.url("panel"), timeout=60)

    async def _quorum(self, meeting: str) -> None:
        for agency in QUORUM_AGENCIES:
            r = await self.http.post(
                f"/meetings/{meeting}/attendance",
                headers=auth(Role.PANEL_MEMBER, agency),  # each attendee signs in
                json={"name": f"Member {agency}"},
            )
            r.raise_for_status()

    async def _call(self, district: str) -> str:
        r = await self.http.post(
            "/meetings",
            headers=self.headers,
            json={
                "panel": "maag",
                "district": district,
                "starts_at": datetime.now(UTC).isoformat(),
            },
        )
        r.raise_for_status()
        return str(r.json()["meeting_id"])

    async def _bring(self, case_id: str, district: str) -> None:
        """The case onto its district's meeting called for now (its listing there is the
        CaseListed the panel then decides on)."""
        async with self.limit:
            if district not in self.called:
                self.called[district] = asyncio.create_task(self._call(district))
            meeting = await self.called[district]
            r = await self.http.post(
                f"/meetings/{meeting}/agenda",
                headers=self.headers,
                json={"case_id": case_id, "reason": "the panel meets on it today"},
            )
            r.raise_for_status()

    def _sitting(self) -> set[str]:
        return {t.result() for t in self.called.values() if t.done() and not t.exception()}

    async def _decide(self, case_id: str, meeting: str) -> None:
        async with self.limit:
            if meeting not in self.quorate:
                self.quorate[meeting] = asyncio.create_task(self._quorum(meeting))
            await self.quorate[meeting]
            lead = f"lp-{case_id[:8]}"
            r = await self.http.post(
                f"/meetings/{meeting}/decisions",
                headers=self.headers,
                json=lead_decision(
                    case_id, lead, "Lee Lead", "education", f"{lead}@school.example"
                ),
            )
            r.raise_for_status()

    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=f"bench-panel-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
        )
        await consumer.start()
        tasks: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=100)
                for records in batch.values():
                    for r in records:
                        if dict(r.headers).get("ce_type") != b"maag.panel.CaseListed.v1":
                            continue
                        body = json.loads(r.value or b"{}")
                        case_id, meeting = str(body["case_id"]), str(body["meeting_id"])
                        task = asyncio.create_task(
                            self._decide(case_id, meeting)
                            if meeting in self._sitting()
                            else self._bring(case_id, str(body["district"]))
                        )
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
        finally:
            await asyncio.gather(*tasks, return_exceptions=True)
            await consumer.stop()
            await self.http.aclose()


async def watch_mail(mail: Path, clock: Clock, stop: asyncio.Event) -> None:
    seen: set[str] = set()
    parser = email.parser.BytesHeaderParser()
    while not stop.is_set():
        for f in mail.glob("*.eml") if mail.exists() else []:
            if f.name in seen:
                continue
            seen.add(f.name)
            headers = parser.parsebytes(f.read_bytes())
            if LEAD_SUBJECT in str(headers["Subject"]):
                accepted_ns = int(f.name.split("-", 1)[0])  # the mailbox names files so
                clock.emailed.setdefault(str(headers["X-MAAG-Case"]), accepted_ns / 1e9)
        await asyncio.sleep(0.05)


async def submit(http: httpx.AsyncClient, clock: Clock, i: int) -> None:
    body = details(
        district=DISTRICTS[i % len(DISTRICTS)], consent=CONSENT, caf_reference=f"CAF-2026-{i:06d}"
    )
    t = time.time()
    r = await http.post(
        "/referrals",
        json=body,
        headers={
            "Authorization": f"Bearer {token()}",
            "Idempotency-Key": f"bench-{uuid.uuid4().hex}",
        },
    )
    r.raise_for_status()
    clock.submitted[str(r.json()["case_id"])] = t


async def until_emailed(clock: Clock, cases: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not cases <= clock.emailed.keys():
        if time.monotonic() > deadline:
            missing = len(cases - clock.emailed.keys())
            raise TimeoutError(f"{missing} of {len(cases)} cases never got their email")
        await asyncio.sleep(0.1)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), round(p / 100 * len(ordered))) - 1)]


async def measure(
    system: System, args: argparse.Namespace, bootstrap: str, prefix: str
) -> dict[str, Any]:
    clock = Clock()
    stop = asyncio.Event()
    panel = Panel(system, bootstrap, prefix)
    background = [
        asyncio.create_task(panel.run(stop)),
        asyncio.create_task(watch_mail(system.mail, clock, stop)),
    ]
    http = httpx.AsyncClient(base_url=system.url("referral"), timeout=60)
    try:
        # Warm-up: a few cases through, so start-up is not in the figures.
        await asyncio.gather(*(submit(http, clock, 900000 + i) for i in range(6)))
        await until_emailed(clock, set(clock.submitted), 120)

        # Throughput: as fast as 16 clients submit.
        before = set(clock.submitted)
        limit = asyncio.Semaphore(16)

        async def one(i: int) -> None:
            async with limit:
                await submit(http, clock, i)

        t0 = time.time()
        await asyncio.gather(*(one(i) for i in range(args.cases)))
        submitted_for = time.time() - t0
        burst = set(clock.submitted) - before
        await until_emailed(clock, burst, 600)
        last = max(clock.emailed[c] for c in burst)
        throughput = len(burst) / (last - t0)
        burst_latency = [(clock.emailed[c] - clock.submitted[c]) * 1000 for c in burst]

        # Latency at a fixed offered load.
        before = set(clock.submitted)
        interval = 1 / args.rate
        start = time.monotonic()
        sends = []
        n = int(args.rate * args.seconds)
        for i in range(n):
            await asyncio.sleep(max(0.0, start + i * interval - time.monotonic()))
            sends.append(asyncio.create_task(submit(http, clock, 500000 + i)))
        await asyncio.gather(*sends)
        steady = set(clock.submitted) - before
        await until_emailed(clock, steady, 300)
        latency = [(clock.emailed[c] - clock.submitted[c]) * 1000 for c in steady]
    finally:
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        await http.aclose()
    return {
        "throughput": {
            "cases": len(burst),
            "submitted_in_seconds": round(submitted_for, 2),
            "cases_per_second": round(throughput, 2),
            "latency_ms_p50_under_burst": round(statistics.median(burst_latency)),
        },
        "latency_at_fixed_load": {
            "offered_cases_per_second": args.rate,
            "cases": len(steady),
            "p50_ms": round(pct(latency, 50)),
            "p95_ms": round(pct(latency, 95)),
            "p99_ms": round(pct(latency, 99)),
            "max_ms": round(max(latency)),
        },
    }


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    base = result["baselines_per_second"]
    names = [
        "MAAG end to end\n(cases: referral\n-> lead's email)",
        "raw aiokafka\n(produce+consume)",
        "raw psycopg\n(commit each)",
        "raw psycopg\n(1,000 per commit)",
    ]
    values = [
        result["throughput"]["cases_per_second"],
        base["aiokafka_produce_consume"],
        base["psycopg_commit_each"],
        base["psycopg_batched"],
    ]
    bars = left.bar(names, values, color=["#b03a2e", "#5d6d7e", "#5d6d7e", "#5d6d7e"])
    left.set_yscale("log")
    left.set_ylabel("per second (log scale)")
    left.set_title("Throughput, same run, same broker and database")
    left.bar_label(bars, labels=[f"{v:,.1f}" for v in values])
    left.tick_params(axis="x", labelsize=8)
    lat = result["latency_at_fixed_load"]
    keys = ["p50_ms", "p95_ms", "p99_ms"]
    bars = right.bar(["p50", "p95", "p99"], [lat[k] for k in keys], color="#1f618d")
    right.bar_label(bars, labels=[f"{lat[k]:,} ms" for k in keys])
    right.set_ylabel("ms")
    right.set_title(
        f"Referral -> lead professional's email at {lat['offered_cases_per_second']} cases/s"
    )
    fig.suptitle(f"MAAG end-to-end benchmark, {result['when']} ({result['machine']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


async def baselines(bootstrap: str, url: str, n: int, run: str) -> dict[str, int]:
    schema = f"bench_raw_{run}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        return {
            "aiokafka_produce_consume": round(await raw_kafka(bootstrap, n, run)),
            "psycopg_commit_each": round(raw_postgres(url, n // 4, schema, per_row_commit=True)),
            "psycopg_batched": round(raw_postgres(url, n, schema, per_row_commit=False)),
        }
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--baseline-events", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    url = os.environ["MAAG_POSTGRES_URL"]
    run = uuid.uuid4().hex[:8]
    prefix = f"bench.{run}."
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_system(Path(tmp), bootstrap, url, f"bench_e2e_{run}", prefix) as system,
    ):
        system.client(timeout=120).ready()
        result = asyncio.run(measure(system, args, bootstrap, prefix))
    result["baselines_per_second"] = asyncio.run(
        baselines(bootstrap, url, args.baseline_events, run)
    )
    result["when"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["machine"] = f"{os.cpu_count()} cores"
    result["command"] = "python -m bench.e2e " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "out"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"e2e-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    chart(result, stem.with_suffix(".png"))
    print(json.dumps(result, indent=2))
    print(f"written: {stem}.json, {stem}.png")


if __name__ == "__main__":
    with identity():
        main()
