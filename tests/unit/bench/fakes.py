"""Stand-in benchmarks for tests/unit/bench/test_all.py: what `python -m bench all` runs each
benchmark as (`python -m bench one`), with neither broker nor database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.support import stopped


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


def hanging(pid_file: str = "") -> dict[str, float]:
    """Starts a stand-in service process, as a benchmark does, and never finishes: stopped
    at its time limit (SIGTERM), it must stop the service on its way out."""
    service = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])
    Path(pid_file).write_text(str(service.pid))
    with stopped(service, "the stand-in service"):
        signal.pause()  # until the run's SIGTERM
    return {}
