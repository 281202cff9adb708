"""`python -m bench all`'s report logic, without the broker or the database: figures against
goals and baselines, a failed or hung benchmark recorded and the exit code, the JSON, the
chart, the HTML page and the README's block (and a --quick run leaving the README alone).
The benchmarks here are stand-ins (tests/unit/bench/fakes.py), each run in a process of its
own as the real ones are."""

from __future__ import annotations

import inspect
import io
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench import report
from bench.__main__ import readme
from bench.all import BASELINES, BENCHMARKS, ROOT, Options, Progress, bar, run_all, select
from bench.report import END, START, Benchmark, Figure, Goal, Outcome, Ratio

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


def fakes(pid_file: Path) -> list[Benchmark]:
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
            timeout=3,
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


def machine() -> dict[str, Any]:
    return {"cores": 2, "python": "3.11.7", "git_revision": "abc123def456", "git_dirty": False}


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


def test_a_hung_benchmark_is_stopped_and_stops_what_it_started(
    full_run: dict[str, Any],
) -> None:
    hanging = entry(full_run["result"], "hanging")
    assert hanging["error"] == "did not finish within 3 s: stopped with SIGTERM"
    assert hanging["notes"] == []  # nothing of its was left for the run to stop
    service = int((full_run["tmp"] / "service.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(service, 0)


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


def test_an_only_run_is_not_a_full_one() -> None:
    result = {"format": report.FORMAT, "quick": False, "complete": False, "benchmarks": []}
    assert report.refusal(result) is not None


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


def test_the_goals_the_issue_sets() -> None:
    goals = {
        (b.name, f.key): (f.goal, [r.goal for r in f.ratios])
        for b in BENCHMARKS
        for f in b.headline
        if f.goal or any(r.goal for r in f.ratios)
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
        ("web", "all_p95_ms"): (Goal("<", 300), []),
    }
    e2e = next(b for b in BENCHMARKS if b.name == "e2e")
    assert e2e.full["rate"] == 20


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
