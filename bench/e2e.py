"""Benchmark: the whole system, end to end, as processes on the real broker, database and
SMTP server.

    python -m bench.e2e [--cases 300] [--rate 20] [--seconds 30] [--out bench/results]

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from bench import baselines
from bench.support import identity, limit, stop_on_signals
from contracts.reference import Role
from contracts.topics import PANEL_EVENTS
from maag.ops.demo.client import QUORUM_AGENCIES, lead_decision
from tests.support.flow import CONSENT, DISTRICTS
from tests.support.identity import auth, token
from tests.support.referral import a_child, details
from tests.support.system import System, running_system
from tests.support.topics import delete_topics_now

LEAD_SUBJECT = "you are the lead professional"
RETRIES = 6  # sends of one panel write while the service answers 409 or 503
# Seconds one request may take: offered more than it can take, the system queues requests
# (what the fixed-load phase then measures), so this is generous.
HTTP_TIMEOUT = 300.0


@dataclass
class Clock:
    submitted: dict[str, float] = field(default_factory=dict)  # case -> time.time()
    emailed: dict[str, float] = field(default_factory=dict)  # case -> SMTP acceptance


async def send_keyed(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    """A write as a person's client makes it: with its own key, sent again with the same key
    while the service says another request won a race (409) or it is busy (503), or when the
    connection dropped under it (a kept-alive connection the server had just closed): the
    key makes a second send do nothing more."""
    key = {"Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
    for attempt in range(RETRIES):
        try:
            r = await http.post(path, json=body, headers={**headers, **key})
        except httpx.TransportError:
            if attempt == RETRIES - 1:
                raise
        else:
            if r.status_code not in (409, 503) or attempt == RETRIES - 1:
                return r
        await asyncio.sleep(0.05 * 2**attempt)  # back off before sending it again
    raise AssertionError("unreachable")


class Panel:
    """The scripted panel: reacts to each CaseListed on the topic over HTTP."""

    def __init__(self, system: System, bootstrap: str, prefix: str) -> None:
        self.system = system
        self.bootstrap = bootstrap
        self.topic = PANEL_EVENTS.named(prefix)
        self.failures: list[str] = []  # what the panel could not do: the run stops on the first
        self.history: dict[str, list[str]] = {}  # case -> what the panel saw and did, in order
        self.quorate: dict[str, asyncio.Task[None]] = {}
        self.called: dict[str, asyncio.Task[str]] = {}  # district -> the meeting called now
        self.limit = asyncio.Semaphore(16)
        self.http = httpx.AsyncClient(base_url=system.url("panel"), timeout=HTTP_TIMEOUT)

    async def _post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        r = await send_keyed(self.http, path, body, headers)
        if r.is_error:
            raise RuntimeError(f"panel: POST {path} answered {r.status_code}: {r.text[:300]}")
        return r.json()

    def _chair(self) -> dict[str, str]:
        # asked each time: a run outlives a token, and the cache renews it
        return auth([Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care")

    async def _quorum(self, meeting: str) -> None:
        for agency in QUORUM_AGENCIES:
            await self._post(
                f"/meetings/{meeting}/attendance",
                {"name": f"Member {agency}"},
                auth(Role.PANEL_MEMBER, agency),  # each attendee signs in
            )

    async def _call(self, district: str) -> str:
        body = {"panel": "maag", "district": district, "starts_at": datetime.now(UTC).isoformat()}
        return str((await self._post("/meetings", body, self._chair()))["meeting_id"])

    async def _bring(self, case_id: str, district: str) -> None:
        """The case onto its district's meeting called for now (its listing there is the
        CaseListed the panel then decides on)."""
        async with self.limit:
            if district not in self.called:
                self.called[district] = asyncio.create_task(self._call(district))
            meeting = await self.called[district]
            await self._post(
                f"/meetings/{meeting}/agenda",
                {"case_id": case_id, "reason": "the panel meets on it today"},
                self._chair(),
            )

    def _sitting(self) -> set[str]:
        return {t.result() for t in self.called.values() if t.done() and not t.exception()}

    async def _decide(self, case_id: str, meeting: str) -> None:
        async with self.limit:
            if meeting not in self.quorate:
                self.quorate[meeting] = asyncio.create_task(self._quorum(meeting))
            await self.quorate[meeting]
            lead = f"lp-{case_id[:8]}"
            await self._post(
                f"/meetings/{meeting}/decisions",
                lead_decision(case_id, lead, "Lee Lead", "education", f"{lead}@school.example"),
                self._chair(),
            )

    def _done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (e := task.exception()) is not None:
            self.failures.append(repr(e))  # a timeout's str() is empty

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
                        sitting = meeting in self._sitting()
                        self.history.setdefault(case_id, []).append(
                            f"listed on {meeting[:8]}: " + ("decide" if sitting else "bring")
                        )
                        task = asyncio.create_task(
                            self._decide(case_id, meeting)
                            if sitting
                            else self._bring(case_id, str(body["district"]))
                        )
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                        task.add_done_callback(self._done)
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
        district=DISTRICTS[i % len(DISTRICTS)],
        consent=CONSENT,
        caf_reference=f"CAF-2026-{i:06d}",
        child=a_child(i),  # a different child each time, as a county's referrals are
    )
    bearer = await asyncio.to_thread(token)  # cached; renewing it must not stall the loop
    t = time.time()
    r = await send_keyed(http, "/referrals", body, {"Authorization": f"Bearer {bearer}"})
    if r.status_code not in (200, 201):  # 200: a resend found the case its first send made
        raise RuntimeError(f"referral: POST /referrals answered {r.status_code}: {r.text[:300]}")
    clock.submitted[str(r.json()["case_id"])] = t


async def until_emailed(
    clock: Clock,
    cases: set[str],
    panel: Panel,
    timeout: float,
    background: Sequence[asyncio.Task[None]] = (),
) -> None:
    """Until every case's lead professional's email is accepted; stops at once when the
    scripted panel failed or a background task (the panel, the mail watcher) ended, and at
    `timeout` saying what it waited for."""
    started = time.monotonic()
    while not cases <= clock.emailed.keys():
        for task in background:
            if task.done():
                error = None if task.cancelled() else task.exception()
                raise RuntimeError(f"{task.get_name()} ended while cases were waiting: {error!r}")
        if panel.failures:
            raise RuntimeError(
                f"the scripted panel failed ({len(panel.failures)} times), first: "
                f"{panel.failures[0]}"
            )
        if time.monotonic() - started > timeout:
            missing = sorted(cases - clock.emailed.keys())
            seen = "; ".join(f"{c}: {panel.history.get(c, ['never listed'])}" for c in missing[:3])
            raise TimeoutError(
                f"waited {timeout:.0f} s for the lead professional's email of {len(cases)} "
                f"cases (referral -> listed -> decided -> emailed); {len(missing)} never "
                f"came ({seen})"
            )
        await asyncio.sleep(0.05)


def _cpu(pid: int) -> float:
    """A process's user + system CPU seconds so far (Linux /proc), 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(system: System) -> dict[str, float]:
    """CPU seconds so far of each of the system's processes, and of the broker, the database
    (all its processes) and the identity provider found running on this machine."""
    found = {name: _cpu(proc.pid) for name, proc in system.procs.items()}
    others = {"postgresql": 0.0, "kafka": 0.0, "keycloak": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"postgres") or b"/postgres" in cmdline.split(b"\0")[0]:
            others["postgresql"] += _cpu(int(entry.name))
        elif b"kafka.Kafka" in cmdline:
            others["kafka"] += _cpu(int(entry.name))
        elif b"keycloak" in cmdline and b"java" in cmdline:
            others["keycloak"] += _cpu(int(entry.name))
    found["benchmark (clients, scripted panel)"] = _cpu(os.getpid())
    return {**found, **others}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), round(p / 100 * len(ordered))) - 1)]


async def measure(
    system: System, cases: int, rate: float, seconds: float, bootstrap: str, prefix: str
) -> dict[str, Any]:
    clock = Clock()
    stop = asyncio.Event()
    panel = Panel(system, bootstrap, prefix)
    background = [
        asyncio.create_task(panel.run(stop), name="the scripted panel"),
        asyncio.create_task(watch_mail(system.mail, clock, stop), name="the mail watcher"),
    ]
    http = httpx.AsyncClient(base_url=system.url("referral"), timeout=HTTP_TIMEOUT)
    try:
        # Warm-up: a few cases through, so start-up is not in the figures.
        await asyncio.gather(*(submit(http, clock, 900000 + i) for i in range(6)))
        await until_emailed(clock, set(clock.submitted), panel, limit(120), background)

        # Throughput: as fast as 16 clients submit.
        before = set(clock.submitted)
        clients = asyncio.Semaphore(16)

        async def one(i: int) -> None:
            async with clients:
                await submit(http, clock, i)

        t0 = time.time()
        cpu_before = cpu_seconds(system)
        await asyncio.gather(*(one(i) for i in range(cases)))
        submitted_for = time.time() - t0
        burst = set(clock.submitted) - before
        await until_emailed(clock, burst, panel, limit(60 + len(burst)), background)
        last = max(clock.emailed[c] for c in burst)
        throughput = len(burst) / (last - t0)
        cpu_after = cpu_seconds(system)
        cpu_ms = {
            k: round((cpu_after[k] - cpu_before.get(k, 0.0)) * 1000 / len(burst), 1)
            for k in cpu_after
        }
        burst_latency = [(clock.emailed[c] - clock.submitted[c]) * 1000 for c in burst]

        # Latency at a fixed offered load.
        before = set(clock.submitted)
        interval = 1 / rate
        start = time.monotonic()
        sends = []
        n = max(1, int(rate * seconds))
        sent_at: list[float] = []
        for i in range(n):
            await asyncio.sleep(max(0.0, start + i * interval - time.monotonic()))
            sent_at.append(time.monotonic())
            sends.append(asyncio.create_task(submit(http, clock, 500000 + i)))
        await asyncio.gather(*sends)
        # what was offered in fact: one event loop sends, watches the mail and plays the panel
        achieved = (n - 1) / (sent_at[-1] - sent_at[0]) if n > 1 else rate
        steady = set(clock.submitted) - before
        await until_emailed(clock, steady, panel, limit(60 + len(steady)), background)
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
            # where a case's processor time went, by process (the machine's cores are shared)
            "cpu_ms_per_case": dict(sorted(cpu_ms.items(), key=lambda kv: -kv[1])),
        },
        "latency_at_fixed_load": {
            "offered_cases_per_second": rate,
            "achieved_cases_per_second": round(achieved, 2),
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


def figures(cases: int = 300, rate: float = 20.0, seconds: float = 30.0) -> dict[str, Any]:
    """The whole system started in schemas and topics of its own, measured, and stopped:
    throughput over `cases` referrals, then latency at `rate` cases/s for `seconds`."""
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    url = os.environ["MAAG_POSTGRES_URL"]
    run = uuid.uuid4().hex[:8]
    prefix = f"bench.{run}."
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_system(Path(tmp), bootstrap, url, f"bench_e2e_{run}", prefix) as system,
        ):
            system.client(timeout=limit(120)).ready()
            return asyncio.run(measure(system, cases, rate, seconds, bootstrap, prefix))
    finally:
        delete_topics_now(bootstrap, prefix)  # a broker keeping every run's would run out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--baseline-events", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    result = figures(args.cases, args.rate, args.seconds)
    result["baselines_per_second"] = baselines.figures(args.baseline_events)
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
    stop_on_signals()  # SIGTERM stops the system this run started
    with identity():
        main()
