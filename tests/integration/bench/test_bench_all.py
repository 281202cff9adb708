"""`python -m bench all --quick`: every benchmark, at tiny sizes, in one run against the real
broker, database and identity provider; each one's figures in the report, none failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.all import BASELINES, BENCHMARKS, ROOT, STOP_GRACE
from bench.report import END, START

# Seconds for the whole quick run (about three minutes on two cores): past every benchmark's
# own limit, which the run enforces, so this only catches the run itself hanging.
LIMIT = sum(b.quick_timeout for b in [BASELINES, *BENCHMARKS]) + STOP_GRACE
README = f"# Not the project's\n\n{START}\nuntouched\n{END}\n"


def failures(out: Path) -> str:
    """Each failed benchmark's error and last lines, from the run's report if it wrote one."""
    try:
        result = json.loads((out / "latest.json").read_text())
    except (OSError, ValueError) as e:
        return f"(no report: {e})"
    return "\n".join(
        "\n".join([f"{e['name']}: {e['error']}", *e["log_tail"][-10:]])
        for e in [result["baselines"], *result["benchmarks"]]
        if e["status"] != "ok"
    )


def run_quick(out: Path, readme: Path, env: dict[str, str]) -> tuple[int, str]:
    """The run as CI makes it; past LIMIT, stopped with SIGTERM (it stops the benchmark
    running and its services, and writes its report) and the test fails with what it
    printed and what the report says failed."""
    command = ["all", "--quick", "--out", str(out), "--readme", str(readme)]
    process = subprocess.Popen(
        [sys.executable, "-m", "bench", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = process.communicate(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=STOP_GRACE + 60)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        pytest.fail(
            f"python -m bench all --quick took over {LIMIT:g} s:\n{output[-4000:]}\n{failures(out)}"
        )
    return process.returncode, output


def test_every_benchmark_reports_its_figures(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str, keycloak: Any
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README)
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MAAG_POSTGRES_URL": postgres_url,
        "MAAG_OIDC_ISSUER": keycloak.issuer,
    }
    code, output = run_quick(tmp_path / "results", readme, env)
    result = json.loads((tmp_path / "results" / "latest.json").read_text())
    errors = {
        e["name"]: [e["error"], *e["log_tail"][-10:]]
        for e in [result["baselines"], *result["benchmarks"]]
        if e["status"] != "ok"
    }
    assert errors == {}, output[-3000:]
    assert code == 0, output[-3000:]
    assert [e["name"] for e in result["benchmarks"]] == [b.name for b in BENCHMARKS]
    assert all(v > 0 for v in result["baselines"]["per_second"].values())
    entries = [result["baselines"], *result["benchmarks"]]
    for bench, e in zip([BASELINES, *BENCHMARKS], entries, strict=True):
        values = {f["key"]: f["value"] for f in e["figures"]}
        for f in bench.headline:  # each headline figure measured: a number, and positive
            assert isinstance(values[f.key], int | float) and values[f.key] > 0, (e["name"], f.key)
        for f in e["figures"]:
            for ratio in f["ratios"]:
                assert ratio["value"] is not None and ratio["value"] > 0, (e["name"], f["key"])
    assert result["quick"] is True and result["complete"] is True
    assert readme.read_text() == README  # a quick run leaves the README alone
    for name in result["files"].values():
        assert (tmp_path / "results" / name).stat().st_size > 0
