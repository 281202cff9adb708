"""Stand-in benchmarks for tests/unit/bench/test_all.py: what `python -m bench all` runs each
benchmark as (`python -m bench one`), with neither broker nor database; their declarations;
and (`python -m tests.unit.bench.fakes DIR`) a whole run of one that hangs, for a test to
stop with SIGTERM as a person or CI stops `python -m bench all`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.all import BASELINES, Options, run_all
from bench.report import END, START, Benchmark, Figure, Goal, Ratio
from bench.support import limit, stop_on_signals, stopped

FAKES = "tests.unit.bench.fakes"
FAKE_BASELINES = Benchmark(
    name="baselines",
    module=FAKES,
    function="baselines",
    about="stand-in baselines",
    headline=BASELINES.headline,
    quick={"events": 10},
)
README_TEXT = f"""# A project

Some words before.

## Performance

{START}
the old figures
{END}

## After

More words after, untouched.
"""
PAUSE = [sys.executable, "-c", "import signal; signal.pause()"]  # a stand-in service


def machine() -> dict[str, Any]:
    return {"cores": 2, "python": "3.11.7", "git_revision": "abc123def456", "git_dirty": False}


def benchmarks(pid_file: Path) -> list[Benchmark]:
    """The stand-ins a full run of test_all runs, in order."""
    return [
        Benchmark(
            name="fast",
            module=FAKES,
            function="fast",
            about="meets one goal, misses another",
            headline=(
                Figure(
                    "things_per_second",
                    "things",
                    "things/s",
                    Goal(">=", 1500),
                    (Ratio("psycopg_commit_each", Goal(">=", 3)),),
                    "a thing is a commit",
                ),
                Figure("answer_ms", "answer", "ms", Goal("<", 300)),
            ),
            quick={"items": 3},
        ),
        Benchmark(
            name="nested",
            module=FAKES,
            function="nested",
            about="async, nested figures",
            headline=(
                Figure(
                    "throughput.cases_per_second",
                    "throughput",
                    "cases/s",
                    Goal(">=", 50),
                    (Ratio("psycopg_commit_each", Goal(">=", 0.05)), Ratio("psycopg_batched")),
                ),
                Figure("latency.p99_ms", "latency p99", "ms", Goal("<", 1000)),
            ),
            full={"rate": 20.0},
        ),
        Benchmark(
            name="broken",
            module=FAKES,
            function="broken",
            about="raises",
            headline=(Figure("x_per_second", "x", "x/s", Goal(">=", 1)),),
        ),
        Benchmark(
            name="hanging",
            module=FAKES,
            function="hanging",
            about="never finishes",
            full={"pid_file": str(pid_file)},
            timeout=10,  # time enough to start under load, and be stopped waiting
        ),
        Benchmark(
            name="missing",
            module=FAKES,
            function="missing",
            about="returns another figure than its headline",
            headline=(Figure("expected_ms", "expected", "ms"),),
        ),
        Benchmark(name="vanishing", module=FAKES, function="vanishing", about="exits at once"),
    ]


def baselines(events: int = 100) -> dict[str, float]:
    return {
        "aiokafka_produce_consume": 20_000.0,
        "psycopg_commit_each": 1_000.0,
        "psycopg_batched": 30_000.0,
    }


def fast(items: int = 10) -> dict[str, float]:
    return {"items": items, "things_per_second": 2_000.0, "answer_ms": 400.0, "size_kib": 3}


async def nested(cases: int = 20, rate: float = 5.0) -> dict[str, Any]:
    return {
        "throughput": {"cases": cases, "cases_per_second": 60.0},
        "latency": {"offered_cases_per_second": rate, "p99_ms": 200, "note": "not a figure"},
    }


def broken() -> dict[str, float]:
    raise RuntimeError("the broker said no")


def missing() -> dict[str, float]:
    return {"something_else_ms": 1.0}


def vanishing() -> dict[str, float]:
    os._exit(3)  # as a crash would: no result written


def _note(pid_file: str, pids: dict[str, int]) -> None:
    aside = Path(f"{pid_file}.partial")
    aside.write_text(json.dumps(pids))
    aside.replace(pid_file)  # whole, or not there yet


async def hanging(pid_file: str = "", leak: bool = False) -> dict[str, float]:
    """Starts a stand-in service process, as a benchmark does (and with `leak`, another it
    forgets to stop), and never finishes: stopped (SIGTERM), it must stop the service on its
    way out and say where it was."""
    service = subprocess.Popen(PAUSE)
    pids = {"benchmark": os.getpid(), "service": service.pid}
    if leak:
        pids["leaked"] = subprocess.Popen(PAUSE).pid
    with stopped(service, "the stand-in service"):
        _note(pid_file, pids)
        await waiting_for_the_stand_in()
    return {}


async def waiting_for_the_stand_in() -> None:
    await asyncio.Event().wait()  # until the SIGTERM


def leaky(pid_file: str = "") -> dict[str, float]:
    """Finishes, but leaves a process it started running."""
    _note(pid_file, {"leaked": subprocess.Popen(PAUSE).pid})
    return {"things_per_second": 1.0}


def budget() -> dict[str, float]:
    """What `limit` lets a long wait and a short one take in the time the run gives."""
    return {"long_wait_seconds": limit(300.0), "short_wait_seconds": limit(1.5)}


def corrupt() -> dict[str, float]:
    """Leaves half a result where `bench one` would write it, and ends."""
    Path(sys.argv[sys.argv.index("--result") + 1]).write_text('{"status": "o')
    os._exit(0)


def run_stopped(tmp: Path) -> None:
    """A full run of the stand-in baselines and of `hanging` (leaking a process), reporting
    into `tmp` and rewriting `tmp`/README.md, as `python -m bench all` runs: until SIGTERM."""
    stop_on_signals()
    hanging = Benchmark(
        name="hanging",
        module=FAKES,
        function="hanging",
        about="never finishes",
        full={"pid_file": str(tmp / "hanging.pid"), "leak": True},
        timeout=600,
    )
    run_all(
        Options(out=tmp / "results", readme=tmp / "README.md"),
        [hanging],
        FAKE_BASELINES,
        machine,
        sys.stderr,
    )


if __name__ == "__main__":
    run_stopped(Path(sys.argv[1]))
