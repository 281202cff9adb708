"""`python -m bench all`'s report logic, without the broker or the database: figures against
goals and baselines, a failed or hung benchmark recorded and the exit code, the JSON, the
chart, the HTML page and the README's block (and the runs that leave the README alone), a
run stopped with SIGTERM, and what the benchmarks share (bench.support) that needs neither.
The benchmarks here are stand-ins (tests/unit/bench/fakes.py), each run in a process of its
own as the real ones are."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from bench import report
from bench.__main__ import main, readme
from bench.all import (
    BASELINES,
    BATCHED,
    BENCHMARKS,
    ROOT,
    Options,
    Progress,
    bar,
    preflight,
    run_all,
    run_one,
    select,
)
from bench.report import END, START, Benchmark, Figure, Goal, Outcome, Ratio
from bench.support import DEADLINE, Watcher, limit, stopped
from tests.unit.bench.fakes import FAKE_BASELINES, FAKES, README_TEXT, machine
from tests.unit.bench.fakes import benchmarks as fakes

LEFTOVERS = "processes it started were still running after it ended: sent them SIGTERM"


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One full run of the stand-ins (they take a few seconds: a process each)."""
    tmp = tmp_path_factory.mktemp("full")
    (tmp / "README.md").write_text(README_TEXT)
    progress = io.StringIO()
    result, code = run_all(
        Options(out=tmp / "results", readme=tmp / "README.md"),
        fakes(tmp / "service.pid"),
        FAKE_BASELINES,
        machine,
        progress,
    )
    return {"tmp": tmp, "result": result, "code": code, "progress": progress.getvalue()}


def entry(result: Mapping[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in result["benchmarks"] if e["name"] == name)
    return found


def figure(result: Mapping[str, Any], name: str, key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in entry(result, name)["figures"] if f["key"] == key)
    return found


# --- goals and ratios ---------------------------------------------------------------------


def test_an_at_least_goal_is_met_at_the_goal_and_above() -> None:
    goal = Goal(">=", 50)
    assert goal.met(50) and goal.met(51)
    assert not goal.met(49.9)
    assert goal.text("cases/s") == "≥ 50 cases/s"


def test_a_below_goal_is_met_only_below_it() -> None:
    goal = Goal("<", 300)
    assert goal.met(299.9)
    assert not goal.met(300) and not goal.met(400)
    assert goal.text("ms") == "< 300 ms"


def test_attainment_is_past_one_when_the_goal_is_met() -> None:
    assert Goal(">=", 50).attainment(100) == 2.0
    assert Goal("<", 300).attainment(150) == 2.0
    assert Goal("<", 300).attainment(600) == 0.5


def outcome(figures: dict[str, Any]) -> Outcome:
    return Outcome("ok", 1.0, {}, figures)


def test_a_ratio_is_the_figure_over_its_baseline_with_its_own_goal() -> None:
    bench = Benchmark(
        name="e2e",
        module="m",
        about="",
        headline=(
            Figure(
                "throughput.cases_per_second",
                "throughput",
                "cases/s",
                Goal(">=", 50),
                (Ratio("psycopg_commit_each", Goal(">=", 0.05)), Ratio("psycopg_batched")),
            ),
        ),
    )
    baselines = {"psycopg_commit_each": 1000.0, "psycopg_batched": 40_000.0}
    found = report.evaluate(bench, outcome({"throughput": {"cases_per_second": 40.0}}), baselines)
    (f,) = [f for f in found["figures"] if f["headline"]]
    assert f["value"] == 40.0 and f["met"] is False  # 40 is under 50
    commit_each, batched = f["ratios"]
    assert commit_each["value"] == 0.04 and commit_each["met"] is False  # under 0.05
    assert commit_each["baseline_per_second"] == 1000.0
    assert batched["value"] == 0.001 and batched["met"] is None  # no goal for that one


def test_without_baselines_a_ratio_is_not_measured() -> None:
    bench = Benchmark(
        name="b",
        module="m",
        about="",
        headline=(Figure("a_per_second", "a", "a/s", ratios=(Ratio("psycopg_batched"),)),),
    )
    found = report.evaluate(bench, outcome({"a_per_second": 5.0}), None)
    assert found["figures"][0]["ratios"][0]["value"] is None


def test_every_figure_is_recorded_with_a_unit_and_nested_ones_by_their_path() -> None:
    found = report.flatten({"a": {"b_ms": 1, "c": {"d_per_second": 2.5}}, "flag": True, "t": "x"})
    assert found == {"a.b_ms": 1, "a.c.d_per_second": 2.5}
    units = {
        k: report.unit_of(k)
        for k in (
            "x.p99_ms",
            "latency_ms_p50_under_burst",
            "emails_per_second",
            "verify_seconds",
            "verify_seconds_per_million",
            "whole_kib",
            "ratio_pipeline_to_raw_kafka",
            "cases",
            "throughput.cpu_ms_per_case.referral",
            "throughput.cpu_ms_per_case.benchmark (clients, scripted panel)",
            "latency_at_fixed_load.offered_cases_per_second",
            "throughput.cases",
        )
    }
    assert units == {
        "x.p99_ms": "ms",
        "latency_ms_p50_under_burst": "ms",
        "emails_per_second": "/s",
        "verify_seconds": "s",
        "verify_seconds_per_million": "s per million events",
        "whole_kib": "KiB",
        "ratio_pipeline_to_raw_kafka": "x",
        "cases": "count",
        "throughput.cpu_ms_per_case.referral": "ms per case",  # the unit is its parent's
        "throughput.cpu_ms_per_case.benchmark (clients, scripted panel)": "ms per case",
        "latency_at_fixed_load.offered_cases_per_second": "/s",
        "throughput.cases": "count",
    }


# --- a whole run of stand-ins ---------------------------------------------------------------


def test_figures_goals_and_ratios_of_a_run(full_run: dict[str, Any]) -> None:
    result = full_run["result"]
    things = figure(result, "fast", "things_per_second")
    assert (things["value"], things["unit"], things["met"]) == (2000.0, "things/s", True)
    assert things["ratios"][0]["value"] == 2.0 and things["ratios"][0]["met"] is False
    assert things["comparison"] == "a thing is a commit"
    assert figure(result, "fast", "answer_ms")["met"] is False  # 400 ms is not below 300
    size = figure(result, "fast", "size_kib")  # not a headline figure: recorded all the same
    assert (size["value"], size["unit"], size["headline"], size["goal"]) == (3, "KiB", False, None)
    cases = figure(result, "nested", "throughput.cases_per_second")
    assert cases["met"] is True and [r["value"] for r in cases["ratios"]] == [0.06, 0.002]
    assert cases["ratios"][0]["met"] is True
    assert figure(result, "nested", "latency.p99_ms")["met"] is True
    # fast: 1 of 3 met; nested: 3 of 3; broken: its one goal not measured
    assert result["goals"] == {"met": 4, "missed": 2, "not_measured": 1}


def test_the_sizes_run_are_recorded_with_the_defaults(full_run: dict[str, Any]) -> None:
    result = full_run["result"]
    assert entry(result, "fast")["sizes"] == {"items": 10}
    assert entry(result, "nested")["sizes"] == {"cases": 20, "rate": 20.0}
    assert result["baselines"]["sizes"] == {"events": 100}


def test_a_failed_benchmark_is_recorded_and_the_run_goes_on(full_run: dict[str, Any]) -> None:
    result = full_run["result"]
    assert [e["name"] for e in result["benchmarks"]] == [
        "fast",
        "nested",
        "broken",
        "hanging",
        "missing",
        "vanishing",
    ]
    assert result["failed"] == ["broken", "hanging", "missing", "vanishing"]
    broken = entry(result, "broken")
    assert broken["status"] == "failed"
    assert broken["error"] == "RuntimeError: the broker said no"
    assert any("the broker said no" in line for line in broken["log_tail"])
    assert broken["figures"][0]["value"] is None and broken["figures"][0]["met"] is None
    assert entry(result, "missing")["error"] == f"{FAKES}.missing returned no expected_ms"
    assert entry(result, "vanishing")["error"] == (
        "its process ended (exit code 3) without a result"
    )
    assert full_run["code"] == 1


def test_a_hung_benchmark_is_stopped_says_where_it_was_and_stops_what_it_started(
    full_run: dict[str, Any],
) -> None:
    hanging = entry(full_run["result"], "hanging")
    where = "hanging > waiting_for_the_stand_in (tests/unit/bench/fakes.py:"
    assert hanging["error"].startswith(
        f"did not finish within 10 s: stopped with SIGTERM; it was in {where}"
    ), hanging["error"]
    assert any("await asyncio.Event().wait()" in line for line in hanging["log_tail"])
    assert hanging["sizes"] == {"pid_file": str(full_run["tmp"] / "service.pid"), "leak": False}
    assert hanging["notes"] == []  # nothing of its was left for the run to stop
    pids = json.loads((full_run["tmp"] / "service.pid").read_text())
    assert gone(pids["service"]) and gone(pids["benchmark"])


def gone(pid: int, wait: float = 10.0) -> bool:
    """Whether the process has ended (a zombie awaiting its reaper counts) within `wait`."""
    deadline = time.monotonic() + wait
    while True:
        try:
            os.kill(pid, 0)
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (ProcessLookupError, FileNotFoundError):
            return True
        if state == "Z":
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def test_the_json_shape(full_run: dict[str, Any]) -> None:
    out = full_run["tmp"] / "results"
    (written,) = out.glob("all-*.json")
    result = json.loads(written.read_text())
    assert result == json.loads((out / "latest.json").read_text())
    assert set(result) == {
        "format",
        "started_at",
        "finished_at",
        "seconds",
        "quick",
        "complete",
        "only",
        "timeout",
        "interrupted",
        "command",
        "machine",
        "baselines",
        "benchmarks",
        "failed",
        "goals",
        "files",
    }
    assert result["format"] == "maag-bench-all/1"
    assert (result["quick"], result["complete"]) == (False, True)
    assert (result["only"], result["timeout"], result["interrupted"]) == (None, None, None)
    assert result["machine"] == machine()
    assert result["baselines"]["per_second"] == {
        "aiokafka_produce_consume": 20_000.0,
        "psycopg_commit_each": 1_000.0,
        "psycopg_batched": 30_000.0,
    }
    assert result["files"] == {
        "json": written.name,
        "png": written.with_suffix(".png").name,
        "html": written.with_suffix(".html").name,
    }
    for e in [result["baselines"], *result["benchmarks"]]:
        assert {"name", "module", "status", "error", "seconds", "sizes", "figures"} <= set(e)
        for f in e["figures"]:
            assert set(f) == {
                "key",
                "label",
                "unit",
                "value",
                "headline",
                "goal",
                "met",
                "ratios",
                "comparison",
            }
    datetime.fromisoformat(result["started_at"])  # readable back


def test_the_chart_is_a_png(full_run: dict[str, Any]) -> None:
    (png,) = (full_run["tmp"] / "results").glob("all-*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_the_page_names_every_figure_and_embeds_the_chart(full_run: dict[str, Any]) -> None:
    (page,) = (full_run["tmp"] / "results").glob("all-*.html")
    text = page.read_text()
    result = full_run["result"]
    for e in [result["baselines"], *result["benchmarks"]]:
        for f in e["figures"]:
            assert f["key"] in text and f["label"] in text, (e["name"], f["key"])
    assert "the broker said no" in text
    assert "data:image/png;base64," in text


def test_the_progress_shows_each_step(full_run: dict[str, Any]) -> None:
    lines = full_run["progress"].splitlines()  # not a terminal: a line a step start and end
    assert "[1/7] tests.unit.bench.fakes ░░░░░░░░░░░░ 0s" in lines
    assert any(line.startswith("[3/7] tests.unit.bench.fakes ok") for line in lines)
    assert any("FAILED: RuntimeError: the broker said no" in line for line in lines)


def test_the_bar() -> None:
    assert bar(3, 11, "bench.referral", 72) == "[3/11] bench.referral ██░░░░░░░░░░ 1m12s"
    assert bar(11, 11, "bench.e2e", 3725).endswith("███████████░ 1h02m")


def test_on_a_terminal_the_line_is_rewritten_in_place() -> None:
    out = io.StringIO()
    Progress(out, tty=True).start(1, 2, "bench.baselines")
    assert out.getvalue() == "\r[1/2] bench.baselines ░░░░░░░░░░░░ 0s\x1b[K"


# --- the README ---------------------------------------------------------------------------


def test_a_full_run_rewrites_only_the_block_between_the_markers(full_run: dict[str, Any]) -> None:
    text = (full_run["tmp"] / "README.md").read_text()
    before, after = README_TEXT.split(START)[0], README_TEXT.split(END)[1]
    assert text.startswith(before + START + "\n") and text.endswith(END + after)
    block = text.split(START)[1].split(END)[0]
    assert "the old figures" not in block
    assert "| fast | things | 2,000 things/s | ≥ 1,500 things/s | yes |" in block
    assert "| fast | answer | 400 ms | < 300 ms | **no** |" in block
    assert "- **broken failed**: RuntimeError: the broker said no" in block
    assert "(results/all-" in block  # the chart, linked from where the README is


def test_replacing_the_block_changes_nothing_else() -> None:
    replaced = report.replace_block(README_TEXT, "new\nlines")
    assert replaced == README_TEXT.replace("the old figures", "new\nlines")
    assert report.replace_block(replaced, "new\nlines") == replaced  # the same block: no change


@pytest.mark.parametrize(
    "text",
    ["no markers at all\n", f"{START}\n{START}\n{END}\n", f"{END}\nx\n{START}\n"],
    ids=["none", "twice", "reversed"],
)
def test_a_readme_without_its_markers_once_in_order_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="once each"):
        report.replace_block(text, "x")


def test_a_quick_run_leaves_the_readme_alone_and_exits_zero_with_goals_missed(
    tmp_path: Path,
) -> None:
    readme_file = tmp_path / "README.md"
    readme_file.write_text(README_TEXT)
    result, code = run_all(
        Options(quick=True, out=tmp_path / "results", readme=readme_file),
        fakes(tmp_path / "pid")[:1],
        FAKE_BASELINES,
        machine,
        io.StringIO(),
    )
    assert result["quick"] is True
    assert entry(result, "fast")["sizes"] == {"items": 3}
    assert readme_file.read_text() == README_TEXT
    assert result["failed"] == [] and result["goals"]["missed"] == 2
    assert code == 0  # goals missed are reported, not failures
    # nor does `python -m bench readme` put a quick run's figures there
    assert readme(tmp_path / "results" / "latest.json", readme_file) == 2
    assert readme_file.read_text() == README_TEXT


def test_the_readme_command_rewrites_the_block_from_a_full_run(
    full_run: dict[str, Any], tmp_path: Path
) -> None:
    readme_file = tmp_path / "README.md"
    readme_file.write_text(README_TEXT)
    assert readme(full_run["tmp"] / "results" / "latest.json", readme_file) == 0
    text = readme_file.read_text()
    assert "the old figures" not in text and "| nested | throughput | 60 cases/s |" in text


def test_an_only_run_is_not_a_full_one_and_leaves_the_readme_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme_file = tmp_path / "README.md"
    readme_file.write_bytes(README_TEXT.encode())
    result, code = run_all(
        Options(only=["fast"], out=tmp_path / "results", readme=readme_file),
        fakes(tmp_path / "pid"),
        FAKE_BASELINES,
        machine,
        io.StringIO(),
    )
    assert [e["name"] for e in result["benchmarks"]] == ["fast"]
    assert (result["complete"], result["only"], code) == (False, ["fast"], 0)
    assert readme_file.read_bytes() == README_TEXT.encode()
    assert "left alone: it ran only some benchmarks (--only: fast)" in capsys.readouterr().out


def built(**changes: Any) -> dict[str, Any]:
    """A run's JSON from stand-in outcomes (no process run): one that belongs in the README,
    but for `changes`."""
    from tests.unit.bench import fakes as stand_ins

    bench = fakes(Path("pid"))[0]
    now = datetime.now(UTC)
    given: dict[str, Any] = {
        "baselines": FAKE_BASELINES,
        "baseline_outcome": Outcome("ok", 1.0, {}, stand_ins.baselines()),
        "outcomes": [(bench, Outcome("ok", 1.0, {}, stand_ins.fast()))],
        "quick": False,
        "complete": True,
        "started": now,
        "finished": now,
        "machine": {},
        "command": "python -m bench all",
    }
    return report.build(**{**given, **changes})


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({}, None),
        ({"quick": True}, "it is a --quick run"),
        (
            {"interrupted": "SIGTERM", "complete": False},
            "the run was stopped (SIGTERM) before it finished",
        ),
        (
            {"only": ["fast"], "complete": False},
            "it ran only some benchmarks (--only: fast)",
        ),
        ({"complete": False}, "it did not run every benchmark (ran: fast)"),
        ({"timeout": 60.0}, "it ran with --timeout 60 instead of each benchmark's own limit"),
        (
            {"baseline_outcome": Outcome("failed", 1.0, {}, error="no broker")},
            "the baselines failed (no broker): nothing to compare with",
        ),
        (
            {
                "outcomes": [
                    (fakes(Path("pid"))[0], Outcome("failed", 1.0, {}, error="RuntimeError: no"))
                ]
            },
            "every benchmark failed: nothing was measured",
        ),
    ],
    ids=["full", "quick", "stopped", "only", "incomplete", "timeout", "no-baselines", "all-failed"],
)
def test_what_keeps_a_run_out_of_the_readme(changes: dict[str, Any], why: str | None) -> None:
    found = report.refusal(built(**changes))
    assert found == why if why is None else (found or "").startswith(why), found


def test_a_readme_that_cannot_be_rewritten_after_a_run_is_said_and_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme_file = tmp_path / "README.md"
    readme_file.write_text("no markers\n")
    result, code = run_all(
        Options(out=tmp_path / "results", readme=readme_file),
        fakes(tmp_path / "pid")[:1],
        FAKE_BASELINES,
        machine,
        io.StringIO(),
    )
    assert result["failed"] == [] and code == 1
    assert readme_file.read_text() == "no markers\n"
    assert (tmp_path / "results" / "latest.json").exists()  # the report was written first
    assert "NOT rewritten" in capsys.readouterr().err


def test_before_anything_runs_a_bad_name_or_a_readme_without_markers_is_refused(
    tmp_path: Path,
) -> None:
    stand_ins = fakes(tmp_path / "pid")
    no_markers = tmp_path / "README.md"
    no_markers.write_text("no markers\n")
    with pytest.raises(ValueError, match="no benchmark named nope"):
        preflight(Options(only=["nope"], readme=no_markers), stand_ins)
    with pytest.raises(ValueError, match="once each"):
        preflight(Options(readme=no_markers), stand_ins)
    with pytest.raises(ValueError, match="cannot read"):
        preflight(Options(readme=tmp_path / "nowhere.md"), stand_ins)
    # runs that leave the README alone do not need it
    preflight(Options(quick=True, readme=no_markers), stand_ins)
    preflight(Options(only=["fast"], readme=no_markers), stand_ins)
    preflight(Options(timeout=5, readme=no_markers), stand_ins)


def test_the_command_refuses_an_unknown_name_without_running_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    try:
        code = main(["all", "--only", "nope", "--out", str(tmp_path / "results")])
    finally:
        signal.signal(signal.SIGTERM, before)  # main() takes SIGTERM over
    assert code == 2
    assert "no benchmark named nope" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_a_readme_rewrite_that_fails_half_way_leaves_it_as_it_was(
    full_run: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme_file = tmp_path / "README.md"
    readme_file.write_text(README_TEXT)
    write_text = Path.write_text

    def half(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        write_text(self, data[:20], *args, **kwargs)
        raise OSError("no space left on device")

    monkeypatch.setattr(Path, "write_text", half)
    with pytest.raises(OSError, match="no space left"):
        report.update_readme(
            readme_file, full_run["result"], full_run["tmp"] / "results" / "latest.json"
        )
    monkeypatch.undo()
    assert readme_file.read_text() == README_TEXT
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # nothing left aside


# --- a run stopped, a benchmark's time, its leftovers -------------------------------------


def test_a_run_stopped_with_sigterm_stops_its_benchmark_and_reports_what_it_has(
    tmp_path: Path,
) -> None:
    readme_file = tmp_path / "README.md"
    readme_file.write_bytes(README_TEXT.encode())
    pid_file = tmp_path / "hanging.pid"
    with (tmp_path / "output.log").open("wb") as log:
        run = subprocess.Popen(
            [sys.executable, "-m", FAKES, str(tmp_path)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pid_file.exists(), (tmp_path / "output.log").read_text()
        run.send_signal(signal.SIGTERM)
        code = run.wait(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    output = (tmp_path / "output.log").read_text()
    assert code == 128 + signal.SIGTERM, output
    result = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert (result["interrupted"], result["complete"]) == ("SIGTERM", False)
    hanging = entry(result, "hanging")
    assert hanging["error"] == "the run was stopped (SIGTERM)"
    assert hanging["notes"] == [LEFTOVERS]  # the process it leaked, stopped by the run
    assert readme_file.read_bytes() == README_TEXT.encode()
    assert "left alone: the run was stopped (SIGTERM) before it finished" in output
    pids = json.loads(pid_file.read_text())
    assert {name: gone(pid) for name, pid in pids.items()} == {
        "benchmark": True,
        "service": True,
        "leaked": True,
    }


def test_a_benchmark_left_running_processes_are_stopped_and_said(tmp_path: Path) -> None:
    leaky = Benchmark(name="leaky", module=FAKES, function="leaky", about="")
    outcome = run_one(leaky, {"pid_file": str(tmp_path / "pid")}, 60)
    assert (outcome.status, outcome.notes) == ("ok", [LEFTOVERS])
    assert gone(json.loads((tmp_path / "pid").read_text())["leaked"])


def test_a_benchmarks_own_waits_end_before_the_run_stops_it() -> None:
    bench = Benchmark(name="budget", module=FAKES, function="budget", about="")
    outcome = run_one(bench, {}, 100)  # waits end 20 s before the 100 s limit
    assert outcome.status == "ok", outcome
    assert 60 < outcome.figures["long_wait_seconds"] <= 80
    assert outcome.figures["short_wait_seconds"] == 1.5


def test_half_a_result_is_a_failure_not_the_end_of_the_run() -> None:
    bench = Benchmark(name="corrupt", module=FAKES, function="corrupt", about="")
    outcome = run_one(bench, {}, 60)
    assert outcome.status == "failed"
    assert outcome.error == "its process ended (exit code 0) without a result"
    assert [n.split(" (")[0] for n in outcome.notes] == ["its result could not be read"]


# --- the real benchmarks' declarations -------------------------------------------------------


def test_only_names_benchmarks_with_or_without_the_package() -> None:
    assert [b.name for b in select(["bench.web", "referral"], BENCHMARKS)] == ["referral", "web"]
    with pytest.raises(ValueError, match="no benchmark named nope"):
        select(["nope"], BENCHMARKS)


def test_every_benchmark_module_is_run() -> None:
    modules = {p.stem for p in (ROOT / "bench").glob("*.py")} - {
        "__init__",
        "__main__",
        "all",
        "report",
        "support",
        "baselines",
    }
    assert {b.module for b in BENCHMARKS} == {f"bench.{m}" for m in modules}
    assert BASELINES.module == "bench.baselines"


@pytest.mark.parametrize("bench", [BASELINES, *BENCHMARKS], ids=lambda b: b.name)
def test_each_benchmark_takes_its_sizes(bench: Benchmark) -> None:
    import importlib

    function = getattr(importlib.import_module(bench.module), bench.function)
    signature = inspect.signature(function)
    signature.bind(**bench.full)
    signature.bind(**bench.quick)


def test_every_ratio_is_to_a_baseline_there_is() -> None:
    baselines = {f.key for f in BASELINES.headline}
    for bench in BENCHMARKS:
        for f in bench.headline:
            assert {r.baseline for r in f.ratios} <= baselines, (bench.name, f.key)


def test_the_goals_the_benchmarks_issue_sets() -> None:
    goals = {
        (b.name, f.key): (f.goal, [r.goal for r in f.ratios])
        for b in BENCHMARKS
        for f in b.headline
        if (f.goal or any(r.goal for r in f.ratios)) and b.name != "web"
    }
    assert goals == {
        ("e2e", "throughput.cases_per_second"): (Goal(">=", 50), [Goal(">=", 0.05)]),
        ("e2e", "latency_at_fixed_load.p99_ms"): (Goal("<", 1000), []),
        ("referral", "http_referrals_per_second"): (Goal(">=", 150), [None]),
        ("audit_replay", "replay_ms_p99"): (Goal("<", 50), []),
        ("audit_verify", "verify_events_per_second"): (Goal(">=", 200_000), []),
        ("notifications", "emails_per_second"): (Goal(">=", 500), [None]),
        ("commissioning", "savings_ms"): (Goal("<", 300), []),
        ("boards", "report_ms"): (Goal("<", 300), []),
    }
    e2e = next(b for b in BENCHMARKS if b.name == "e2e")
    assert e2e.full["rate"] == 20


def test_the_web_goal_is_the_practitioners_workspaces_and_says_so() -> None:
    web = next(b for b in BENCHMARKS if b.name == "web")
    goals = {f.key: (f.goal, f.comparison) for f in web.headline if f.goal}
    assert list(goals) == ["all_p95_ms"]
    goal, why = goals["all_p95_ms"]
    assert goal == Goal("<", 300)
    assert "workspace" in why and "issue 31" in why


def test_no_comparison_claims_a_bound_and_consumed_records_are_compared_with_batches() -> None:
    for bench in BENCHMARKS:
        for f in bench.headline:
            assert not re.search(r"floor|ceiling|cannot pass", f.comparison), (bench.name, f.key)
    consumed = {  # each a consumer's work: a partition's batch stored in one transaction
        ("pipeline", "pipeline_events_per_second"),
        ("referral", "topic_referrals_per_second"),
        ("panel", "listing_cases_per_second"),
        ("commissioning", "commissioned_packages_per_second"),
        ("notifications", "emails_per_second"),
    }
    for bench in BENCHMARKS:
        for f in bench.headline:
            if (bench.name, f.key) in consumed:
                assert BATCHED in {r.baseline for r in f.ratios}, (bench.name, f.key)


def test_a_build_with_no_benchmarks_counts_nothing() -> None:
    now = datetime.now(UTC)
    result = report.build(
        baselines=FAKE_BASELINES,
        baseline_outcome=Outcome("failed", 0.0, {}, error="no broker"),
        outcomes=[],
        quick=True,
        complete=False,
        started=now,
        finished=now,
        machine={},
        command="x",
    )
    assert result["failed"] == ["baselines"] and result["baselines"]["per_second"] is None
    assert report.exit_code(result) == 1


def test_a_ratio_bar_is_coloured_by_whether_its_goal_is_met_whichever_way_it_points() -> None:
    green, red = "#1e8449", "#b03a2e"
    below = {"value": 0.5, "goal": {"op": "<", "value": 1.0, "text": "< 1"}, "met": True}
    assert report.ratio_colour(below) == green  # under a `<` goal: met
    assert report.ratio_colour({**below, "value": 2.0, "met": False}) == red
    at_least = {"value": 2.0, "goal": {"op": ">=", "value": 3.0, "text": "≥ 3"}, "met": False}
    assert report.ratio_colour(at_least) == red
    assert report.ratio_colour({**at_least, "goal": None, "met": None}) == "#1f618d"
    assert report.ratio_colour({**at_least, "value": None, "met": None}) == "#999999"


# --- what the benchmarks share (bench.support) ----------------------------------------------


def test_a_wait_is_cut_to_what_is_left_of_the_benchmarks_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DEADLINE, raising=False)
    assert limit(300) == 300  # run on its own: its own limits
    monkeypatch.setenv(DEADLINE, str(time.time() + 50))
    assert 45 < limit(300) <= 50 and limit(10) == 10
    monkeypatch.setenv(DEADLINE, str(time.time() - 5))
    assert limit(300) == 1.0  # past it: a last second, then the wait's own error


class Refusing:
    """A Kafka consumer that cannot reach its broker."""

    async def start(self) -> None:
        raise ConnectionError("no broker at 127.0.0.1:1")

    async def stop(self) -> None:
        pass


async def idle_watcher(processes: Mapping[str, subprocess.Popen[bytes]] | None = None) -> Watcher:
    """A Watcher on topic `t` for `x.v1`, whose consumer never reaches a broker."""
    watcher = Watcher("127.0.0.1:1", "t", "x.v1", processes)
    await watcher.consumer.stop()  # never started: closed, not left for the collector
    watcher.consumer = cast(Any, Refusing())
    return watcher


async def test_a_wait_ends_at_once_when_the_watcher_has_died() -> None:
    watcher = await idle_watcher()
    watching = asyncio.create_task(watcher.run(asyncio.Event()))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"the watcher of t ended while 1 of 1 x\.v1") as e:
        await watcher.wait_for({"a-case"}, timeout=30)
    assert time.monotonic() - started < 10
    assert isinstance(e.value.__cause__, ConnectionError)
    assert watching.done()


async def test_a_wait_ends_at_once_when_a_service_it_watches_has_ended() -> None:
    service = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    service.wait()
    watcher = await idle_watcher({"the stand-in service": service})
    started = time.monotonic()
    with pytest.raises(
        RuntimeError, match=r"the stand-in service ended \(exit code 3\) while 1 of 1 x\.v1"
    ):
        await watcher.wait_for({"a-case"}, timeout=30)
    assert time.monotonic() - started < 10


async def test_a_watchers_wait_ends_within_the_benchmarks_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(DEADLINE, str(time.time() + 1.5))
    watcher = await idle_watcher()  # not run: nothing arrives
    with pytest.raises(TimeoutError, match=r"waited \d+ s for x\.v1 on t: 1 of 1 never arrived"):
        await watcher.wait_for({"a-case"})


def test_a_stop_that_fails_does_not_hide_the_error_it_stopped_for() -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); signal.pause()",
        ],
        stdout=subprocess.PIPE,
    )
    assert stubborn.stdout is not None
    with stubborn.stdout:
        assert stubborn.stdout.readline() == b"ready\n"  # SIGTERM ignored from here on
        with (
            pytest.raises(ValueError, match="the real error") as e,
            stopped(stubborn, "the stubborn stand-in", grace=0.5),
        ):
            raise ValueError("the real error")
    assert any(
        "the stubborn stand-in" in note and "did not stop" in note for note in e.value.__notes__
    )
    assert stubborn.poll() is not None  # killed all the same


def test_deleting_a_runs_topics_never_hides_why_the_run_failed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.support.topics import delete_topics_now

    started = time.monotonic()
    delete_topics_now("127.0.0.1:1", "bench.gone.")  # no broker there: said, not raised
    assert "topics bench.gone.* not deleted" in capsys.readouterr().err
    assert time.monotonic() - started < 40
